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
	rate := flag.Float64("rate", 10000, "requests per second, over all connections")
	duration := flag.Duration("duration", 5*time.Second, "how long to send")
	warmup := flag.Duration("warmup", time.Second, "sending at the rate before measuring")
	conns := flag.Int("conns", 64, "connections")
	var headers headerFlags
	flag.Var(&headers, "H", "request header 'Name: value' (repeatable)")
	flag.Parse()
	if *rawURL == "" || *rate <= 0 || *conns <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	u, err := url.Parse(*rawURL)
	if err != nil || u.Scheme != "http" {
		log.Fatalf("loadgen: -url must be an http:// URL: %q", *rawURL)
	}
	request := buildRequest(u, headers)

	interval := time.Duration(float64(time.Second) * float64(*conns) / *rate)
	perConn := int(duration.Seconds() * *rate / float64(*conns))
	start := time.Now().Add(50 * time.Millisecond)
	measureFrom := start.Add(*warmup)

	var (
		mu                 sync.Mutex
		latencies          = make([]int64, 0, perConn**conns)
		lags               []int64
		errors, late, sent int
		wg                 sync.WaitGroup
	)
	end := measureFrom.Add(*duration)
	for k := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := worker{addr: u.Host, request: request}
			defer w.close()
			own := make([]int64, 0, perConn+1)
			ownLag := make([]int64, 0, perConn+1)
			var ownErrors, ownLate, ownSent int
			next := start.Add(time.Duration(float64(interval) * float64(k) / float64(*conns)))
			for ; next.Before(end); next = next.Add(interval) {
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
				measured := !next.Before(measureFrom)
				lag := time.Since(next)
				if measured && lag > lateAfter {
					ownLate++
				}
				if measured {
					ownLag = append(ownLag, lag.Nanoseconds())
				}
				took, err := w.do()
				if !measured {
					continue
				}
				ownSent++
				if err != nil {
					ownErrors++
					continue
				}
				own = append(own, took.Nanoseconds())
			}
			mu.Lock()
			latencies = append(latencies, own...)
			lags = append(lags, ownLag...)
			errors += ownErrors
			late += ownLate
			sent += ownSent
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		i := int(p * float64(len(latencies)-1))
		return float64(latencies[i]) / 1e3
	}
	slices.Sort(lags)
	lag := func(p float64) float64 {
		if len(lags) == 0 {
			return 0
		}
		return float64(lags[int(p*float64(len(lags)-1))]) / 1e3
	}
	fmt.Printf("requests=%d errors=%d late=%d rate=%.0f p50=%.0f p90=%.0f p99=%.0f p999=%.0f max=%.0f lag_p50=%.0f lag_p99=%.0f\n",
		sent, errors, late, float64(sent)/duration.Seconds(), pct(0.50), pct(0.90), pct(0.99), pct(0.999), pct(1),
		lag(0.50), lag(0.99))
}

// buildRequest renders the request once: every send writes the same bytes.
func buildRequest(u *url.URL, headers []string) []byte {
	host := u.Host
	var extra strings.Builder
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			log.Fatalf("loadgen: header %q is not 'Name: value'", h)
		}
		if strings.EqualFold(strings.TrimSpace(name), "Host") {
			host = strings.TrimSpace(value)
			continue
		}
		fmt.Fprintf(&extra, "%s: %s\r\n", strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return []byte("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra.String() + "\r\n")
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
