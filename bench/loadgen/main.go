// Command loadgen sends HTTP/1.1 requests at a fixed rate (open loop) and reports latency percentiles, so that
// proxies can be compared "at the same load" rather than at saturation, where wrk's closed loop makes latency a
// mirror of throughput (64 connections / RPS).
//
//	loadgen -url http://127.0.0.1:18080/items/1 -rate 15000 -duration 5s -conns 64 -H 'Host: x'
//
// Every connection has one request outstanding at most; connection k sends its j-th request at
// start + (k + j·conns)/rate. Latency is measured from the moment a request is written to the moment its response
// is read. A request that could not be sent on time (its connection still waited for the previous response) is
// counted as late: a run with late requests did not hold the rate, and its latency understates the server's
// (coordinated omission), so the output says so and the harness rejects it.
//
// Go's timers wake a mostly idle process up to about a millisecond late, so sends are paced to within that; the
// lag_* fields give how far behind schedule requests were sent.
//
// Output, one line: "requests=N errors=E late=L rate=R p50=µs p90=µs p99=µs p999=µs max=µs lag_p50=µs lag_p99=µs".
//
// With -b-url it runs the alternating mode instead (alternate.go): closed loop, the same connections switching
// between two targets every -phase, for the paired ratios between two scenarios of one gateway.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// lateAfter is how far behind its schedule a request may be sent before it counts as late.
const lateAfter = time.Millisecond

func main() {
	rawURL := flag.String("url", "", "target URL (http only)")
	var cfg config
	flag.Float64Var(&cfg.rate, "rate", 10000, "requests per second, over all connections")
	flag.DurationVar(&cfg.duration, "duration", 5*time.Second, "how long to send")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "sending at the rate before measuring")
	flag.IntVar(&cfg.conns, "conns", 64, "connections")
	var headers, headersB headerFlags
	flag.Var(&headers, "H", "request header 'Name: value' (repeatable)")
	spread := flag.Int("spread", 0, "send to N paths /rNNNN/items/N round-robin instead of the URL's path (as bench's spread.lua)")
	rawURLB := flag.String("b-url", "", "alternating mode: the second target, on the same host and port as -url")
	flag.Var(&headersB, "b-H", "alternating mode: the second target's request header (repeatable)")
	spreadB := flag.Int("b-spread", 0, "alternating mode: -spread for the second target")
	phase := flag.Duration("phase", 250*time.Millisecond, "alternating mode: how long each phase sends to one target")
	flag.Parse()
	if *rawURL == "" || cfg.rate <= 0 || cfg.conns <= 0 || cfg.duration <= 0 || *phase <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	u, err := parseURL(*rawURL)
	if err != nil {
		log.Fatalf("loadgen: -url: %v", err)
	}
	cfg.addr = u.Host
	requests, err := buildRequests(u, headers, *spread)
	if err != nil {
		log.Fatalf("loadgen: %v", err)
	}
	if *rawURLB == "" {
		cfg.request = requests[0]
		fmt.Println(run(cfg))
		return
	}
	ub, err := parseURL(*rawURLB)
	if err != nil {
		log.Fatalf("loadgen: -b-url: %v", err)
	}
	if ub.Host != u.Host {
		log.Fatalf("loadgen: -url and -b-url must be on the same host and port (the connections alternate): %s, %s", u.Host, ub.Host)
	}
	requestsB, err := buildRequests(ub, headersB, *spreadB)
	if err != nil {
		log.Fatalf("loadgen: %v", err)
	}
	fmt.Println(runAlternating(alternateConfig{addr: u.Host, requests: [2][][]byte{requests, requestsB}, phase: *phase,
		duration: cfg.duration, warmup: cfg.warmup, conns: cfg.conns}))
}

func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("not an http:// URL: %q", raw)
	}
	return u, nil
}

// buildRequests renders the requests to send: one, or with spread n, one per path /rNNNN/items/N.
func buildRequests(u *url.URL, headers []string, spread int) ([][]byte, error) {
	if spread <= 0 {
		r, err := buildRequest(u, headers)
		return [][]byte{r}, err
	}
	out := make([][]byte, spread)
	for k := range out {
		uk := *u
		uk.Path, uk.RawQuery = fmt.Sprintf("/r%04d/items/%d", k, k), ""
		r, err := buildRequest(&uk, headers)
		if err != nil {
			return nil, err
		}
		out[k] = r
	}
	return out, nil
}

type config struct {
	addr             string
	request          []byte
	rate             float64
	duration, warmup time.Duration
	conns            int
}

type result struct {
	sent, errors, late int
	duration           time.Duration
	latencies, lags    []int64 // sorted, nanoseconds
}

func (r result) String() string {
	pct := func(xs []int64, p float64) float64 {
		if len(xs) == 0 {
			return 0
		}
		return float64(xs[int(p*float64(len(xs)-1))]) / 1e3
	}
	l := r.latencies
	return fmt.Sprintf("requests=%d errors=%d late=%d rate=%.0f p50=%.0f p90=%.0f p99=%.0f p999=%.0f max=%.0f lag_p50=%.0f lag_p99=%.0f",
		r.sent, r.errors, r.late, float64(r.sent)/r.duration.Seconds(), pct(l, 0.50), pct(l, 0.90), pct(l, 0.99),
		pct(l, 0.999), pct(l, 1), pct(r.lags, 0.50), pct(r.lags, 0.99))
}

// run sends at cfg.rate for cfg.warmup + cfg.duration and measures the cfg.duration part.
func run(cfg config) result {
	interval := time.Duration(float64(time.Second) * float64(cfg.conns) / cfg.rate)
	perConn := int(cfg.duration.Seconds()*cfg.rate/float64(cfg.conns)) + 1
	start := time.Now().Add(50 * time.Millisecond)
	measureFrom := start.Add(cfg.warmup)
	end := measureFrom.Add(cfg.duration)

	res := result{duration: cfg.duration, latencies: make([]int64, 0, perConn*cfg.conns)}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for k := range cfg.conns {
		wg.Go(func() {
			w := worker{addr: cfg.addr, request: cfg.request}
			defer w.close()
			own := result{latencies: make([]int64, 0, perConn), lags: make([]int64, 0, perConn)}
			next := start.Add(time.Duration(float64(interval) * float64(k) / float64(cfg.conns)))
			for ; next.Before(end); next = next.Add(interval) {
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
				measured := !next.Before(measureFrom)
				lag := time.Since(next)
				took, err := w.do()
				if !measured {
					continue
				}
				own.sent++
				own.lags = append(own.lags, lag.Nanoseconds())
				if lag > lateAfter {
					own.late++
				}
				if err != nil {
					own.errors++
					continue
				}
				own.latencies = append(own.latencies, took.Nanoseconds())
			}
			mu.Lock()
			res.latencies = append(res.latencies, own.latencies...)
			res.lags = append(res.lags, own.lags...)
			res.sent += own.sent
			res.errors += own.errors
			res.late += own.late
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(res.latencies)
	slices.Sort(res.lags)
	return res
}

// buildRequest renders the request once: every send writes the same bytes.
func buildRequest(u *url.URL, headers []string) ([]byte, error) {
	host := u.Host
	var extra strings.Builder
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return nil, fmt.Errorf("header %q is not 'Name: value'", h)
		}
		if strings.EqualFold(strings.TrimSpace(name), "Host") {
			host = strings.TrimSpace(value)
			continue
		}
		fmt.Fprintf(&extra, "%s: %s\r\n", strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return []byte("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra.String() + "\r\n"), nil
}

// worker is one keep-alive connection, redialled after an error.
type worker struct {
	addr    string
	request []byte
	conn    net.Conn
	br      *bufio.Reader
	resp    fasthttp.Response
}

func (w *worker) do() (time.Duration, error) {
	if w.conn == nil {
		c, err := net.DialTimeout("tcp", w.addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		w.conn, w.br = c, bufio.NewReaderSize(c, 16<<10)
	}
	w.conn.SetDeadline(time.Now().Add(10 * time.Second))
	begin := time.Now()
	if _, err := w.conn.Write(w.request); err != nil {
		w.close()
		return 0, err
	}
	w.resp.Reset()
	if err := w.resp.Read(w.br); err != nil {
		w.close()
		return 0, err
	}
	took := time.Since(begin)
	if code := w.resp.StatusCode(); code < 200 || code > 399 {
		return took, fmt.Errorf("status %d", code)
	}
	return took, nil
}

func (w *worker) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
}
