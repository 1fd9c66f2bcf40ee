package portico

import "time"

// The "portico" extension module. A plugin that calls none of these functions does not import the module.

// ContextVar returns the value of a context variable and whether it exists (get_context_var): "request.clientIp",
// "request.id", "request.path.NAME", "request.path.NAME+", "request.header.NAME", "request.query.NAME",
// "stage.name", "service.id". A variable the route does not define, an absent header or query parameter and an
// unknown name are reported as absent. Header and query variables see the request as it is now, with earlier
// plugins' changes.
func ContextVar(name string) (string, bool) {
	b, found := probeCount(func(buf []byte) uint64 { return getContextVar(name, buf) })
	return string(b), found != 0
}

// KVGet returns the value stored under key in the binding's namespace, which every instance of the binding
// shares (kv_get).
func KVGet(key string) ([]byte, bool) {
	b, found := probeCount(func(buf []byte) uint64 { return kvGet(key, buf) })
	if found == 0 {
		return nil, false
	}
	return append(make([]byte, 0, len(b)), b...), true
}

// KVSet stores value under key in the binding's namespace (kv_set), replacing the value and its expiry. ttl <= 0
// means no expiry; a positive ttl is rounded up to whole milliseconds and capped at MaxTTL. To delete a key, set it
// with a ttl of a millisecond. The store is a cache: values can be evicted before they expire.
func KVSet(key string, value []byte, ttl time.Duration) { kvSet(key, value, ttlMillis(ttl)) }

// CounterIncr adds delta to the counter under key in the binding's namespace and returns the new value
// (counter_incr). A counter that does not exist starts at 0 and expires after ttl (ttl <= 0: never; capped at
// MaxTTL); adding to
// an existing counter keeps its expiry, so a key that includes the window ("ip:1.2.3.4:28512345") with that window's
// ttl counts fixed windows. Do not use the same key for a counter and a KVSet value.
func CounterIncr(key string, delta int64, ttl time.Duration) int64 {
	return counterIncr(key, delta, ttlMillis(ttl))
}

// Now is the host's wall clock (now_unix_nano). time.Now works too (through WASI); Now costs one host call and no
// WASI.
func Now() time.Time { return time.Unix(0, nowUnixNano()) }

// HostVersion is the version of the host's "portico" module (version): 1 for this SDK's ABI. Hosts of the same
// major version only add functions, so a plugin built against version 1 runs on any host reporting 1.
func HostVersion() int32 { return version() }

// MaxTTL is the longest expiry the host accepts for KV values and counters.
const MaxTTL = 365 * 24 * time.Hour

func ttlMillis(ttl time.Duration) int64 {
	switch {
	case ttl <= 0:
		return 0
	case ttl >= MaxTTL:
		return int64(MaxTTL / time.Millisecond)
	}
	return int64((ttl + time.Millisecond - 1) / time.Millisecond)
}
