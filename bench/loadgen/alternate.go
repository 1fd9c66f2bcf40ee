package main

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Alternating mode compares two targets' throughput at the same moment of the machine's life. The machine this
// benchmark runs on changes speed by up to 2× from one second to the next (other tenants, the hypervisor), so two
// wrk runs even a second apart measure two different machines as much as two targets. Here the same connections
// send closed loop (each connection sends its next request when the previous response has arrived, as wrk does) to
// target A for one phase, then to B for one, in A B B A quads, switching every phase (250 ms by default): drifts
// slower than a quad touch both targets alike.
//
// A request counts for the phase in which it was sent. At a switch the previous phase's last requests (one per
// connection) are still being served for a moment of the new phase, which pulls both rates a little towards each
// other: with 64 connections at 25 000 req/s that is ≈ 2.5 ms of a 250 ms phase, 1 %.
//
// Output: one line per quad, "quad=Q a_requests=N a_rps=R b_requests=N b_rps=R", then the whole run,
// "a_requests=N b_requests=N a_errors=E b_errors=E quads=Q ratio=A/B".

type alternateConfig struct {
	addr             string
	requests         [2][][]byte // per target, the requests its connections cycle through
	phase            time.Duration
	duration, warmup time.Duration
	conns            int
}

// quadOrder is which target each phase of a quad sends to: A B B A.
var quadOrder = [4]int{0, 1, 1, 0}

type alternateResult struct {
	counts [][2]int // per measured quad: requests answered with 2xx/3xx, per target
	errors [2]int
	phase  time.Duration
}

// rps is the request rate of target t in quad q: each target has two phases per quad.
func (r alternateResult) rps(q, t int) float64 {
	return float64(r.counts[q][t]) / (2 * r.phase.Seconds())
}

func (r alternateResult) String() string {
	var b strings.Builder
	var total [2]int
	for q, c := range r.counts {
		fmt.Fprintf(&b, "quad=%d a_requests=%d a_rps=%.0f b_requests=%d b_rps=%.0f\n", q+1, c[0], r.rps(q, 0), c[1],
			r.rps(q, 1))
		total[0] += c[0]
		total[1] += c[1]
	}
	ratio := 0.0
	if total[1] > 0 {
		ratio = float64(total[0]) / float64(total[1])
	}
	fmt.Fprintf(&b, "a_requests=%d b_requests=%d a_errors=%d b_errors=%d quads=%d ratio=%.3f", total[0], total[1],
		r.errors[0], r.errors[1], len(r.counts), ratio)
	return b.String()
}

// runAlternating runs cfg.warmup of alternating phases, then cfg.duration (rounded down to whole quads) measured.
func runAlternating(cfg alternateConfig) alternateResult {
	quad := 4 * cfg.phase
	warmQuads := int((cfg.warmup + quad - 1) / quad)
	quads := max(1, int(cfg.duration/quad))
	start := time.Now()
	end := start.Add(time.Duration(warmQuads+quads) * quad)

	res := alternateResult{counts: make([][2]int, quads), phase: cfg.phase}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for k := range cfg.conns {
		wg.Go(func() {
			w := worker{addr: cfg.addr}
			defer w.close()
			counts := make([][2]int, quads)
			var errors [2]int
			next := [2]int{k, k} // each connection starts at its own place in the request lists
			for {
				now := time.Now()
				if !now.Before(end) {
					break
				}
				p := int(now.Sub(start) / cfg.phase)
				t := quadOrder[p%4]
				reqs := cfg.requests[t]
				w.request = reqs[next[t]%len(reqs)]
				next[t]++
				_, err := w.do()
				if err != nil {
					time.Sleep(10 * time.Millisecond) // a refused connection would otherwise be redialled in a busy loop
				}
				q := p/4 - warmQuads
				switch {
				case q < 0:
				case err != nil:
					errors[t]++
				default:
					counts[q][t]++
				}
			}
			mu.Lock()
			for q := range counts {
				res.counts[q][0] += counts[q][0]
				res.counts[q][1] += counts[q][1]
			}
			res.errors[0] += errors[0]
			res.errors[1] += errors[1]
			mu.Unlock()
		})
	}
	wg.Wait()
	return res
}
