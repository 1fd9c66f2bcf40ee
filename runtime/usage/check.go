package usage

import (
	"crypto/subtle"
	"time"
)

// Decision is the outcome of Check.
type Decision uint8

const (
	Allowed       Decision = iota
	KeyUnknown             // no key has this value (401)
	KeyInactive            // the key is INACTIVE (403)
	NotAllowed             // the key is not connected to a plan on this stage (403)
	RPSExceeded            // over the plan's requests per second (429)
	QuotaExceeded          // over the plan's quota for the period (429)
)

var decisionNames = [...]string{"allowed", "key_unknown", "key_inactive", "not_allowed", "rps_exceeded",
	"quota_exceeded"}

func (d Decision) String() string {
	if int(d) < len(decisionNames) {
		return decisionNames[d]
	}
	return "unknown"
}

// Result is what Check decided, for which key (0 when unknown), and when to retry after a 429.
type Result struct {
	Decision   Decision
	KeyID      int64
	RetryAfter time.Duration
}

// Check decides whether the key whose value has the SHA-256 digest hash may call stage now, and counts the
// request against the key's quota when it may. It takes no lock shared between keys and does not allocate.
//
// The key is found by a map lookup on the digest, not on the value: the lookup's timing depends only on the
// digest of what the client sent, which tells an attacker nothing about any stored value (finding a value whose
// digest shares a prefix with a stored one is a preimage search). The digest found is then compared once more in
// constant time, so no byte-by-byte comparison of secrets ever happens.
func (g *Guard) Check(stage *Stage, hash *[32]byte) Result {
	k := g.table.Load().byHash[*hash]
	if k == nil {
		return Result{Decision: KeyUnknown}
	}
	if subtle.ConstantTimeCompare(k.hashes[0][:], hash[:])|subtle.ConstantTimeCompare(k.hashes[1][:], hash[:]) != 1 {
		return Result{Decision: KeyUnknown}
	}
	if !k.active {
		return Result{Decision: KeyInactive, KeyID: k.id}
	}
	var gr *grant
	for i := range k.grants {
		if k.grants[i].stage == stage {
			gr = &k.grants[i]
			break
		}
	}
	if gr == nil {
		return Result{Decision: NotAllowed, KeyID: k.id}
	}
	quota := gr.period != PeriodNone
	if !quota && gr.lim == nil {
		return Result{Decision: Allowed, KeyID: k.id} // a plan without limits: no clock to read (≈ 50 ns)
	}
	nowT := g.now()
	now := nowT.UnixNano()
	// A request refused by one limit must not use up the other: check the quota first without counting, then the
	// token bucket, then count (which can still fail when concurrent requests took the last units).
	if quota && gr.slot.used(now) >= gr.limit {
		return Result{Decision: QuotaExceeded, KeyID: k.id, RetryAfter: untilEnd(gr.slot, now)}
	}
	if gr.lim != nil && !gr.lim.AllowN(nowT, 1) {
		wait := time.Duration((1 - gr.lim.TokensAt(nowT)) / float64(gr.rps) * float64(time.Second))
		return Result{Decision: RPSExceeded, KeyID: k.id, RetryAfter: wait}
	}
	if quota && !gr.slot.take(now, gr.limit) {
		return Result{Decision: QuotaExceeded, KeyID: k.id, RetryAfter: untilEnd(gr.slot, now)}
	}
	return Result{Decision: Allowed, KeyID: k.id}
}

func untilEnd(s *slot, now int64) time.Duration {
	return time.Duration(s.end.Load() - now)
}
