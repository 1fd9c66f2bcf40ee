package main

import (
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestRunAlternating alternates between a fast and a slow path of one server: the slow one must come out slower
// (so each phase really sent to its own target), both must be answered with their own headers, the spread paths
// must all be visited, and failures must be counted as errors of the target that failed.
func TestRunAlternating(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var fast, slow, wrongHost atomic.Int64
	var mu sync.Mutex
	paths := make(map[string]bool)
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		switch path := string(ctx.Path()); {
		case strings.HasPrefix(path, "/r"):
			if string(ctx.Host()) != "fast.localhost" {
				wrongHost.Add(1)
			}
			fast.Add(1)
			mu.Lock()
			paths[path] = true
			mu.Unlock()
		case path == "/slow":
			if string(ctx.Host()) != "slow.localhost" {
				wrongHost.Add(1)
			}
			slow.Add(1)
			time.Sleep(2 * time.Millisecond)
		default:
			ctx.SetStatusCode(fasthttp.StatusBadGateway)
		}
	}}
	go srv.Serve(ln)
	defer srv.Shutdown()
	u := func(p string) *url.URL { u, _ := url.Parse("http://" + ln.Addr().String() + p); return u }

	slowReqs, _ := buildRequests(u("/slow"), []string{"Host: slow.localhost"}, 0)
	fastReqs, _ := buildRequests(u("/"), []string{"Host: fast.localhost"}, 8)
	res := runAlternating(alternateConfig{addr: ln.Addr().String(), requests: [2][][]byte{slowReqs, fastReqs},
		phase: 25 * time.Millisecond, duration: 400 * time.Millisecond, warmup: 100 * time.Millisecond, conns: 4})
	if len(res.counts) != 4 {
		t.Fatalf("%d quads measured, want 4 (400 ms of 100 ms quads)", len(res.counts))
	}
	var total [2]int
	for _, c := range res.counts {
		total[0] += c[0]
		total[1] += c[1]
	}
	if total[0] == 0 || total[1] < 4*total[0] {
		t.Errorf("slow %d, fast %d requests: the slow target should have been answered far less often", total[0], total[1])
	}
	if int64(total[0]) > slow.Load() || int64(total[1]) > fast.Load() || wrongHost.Load() != 0 {
		t.Errorf("counted %v; the server saw slow %d, fast %d, %d with the other target's Host", total, slow.Load(),
			fast.Load(), wrongHost.Load())
	}
	mu.Lock()
	if len(paths) != 8 || !paths["/r0007/items/7"] {
		t.Errorf("spread over 8 paths visited %d: %v", len(paths), paths)
	}
	mu.Unlock()
	out := res.String()
	if !strings.Contains(out, "quad=4 ") || !strings.Contains(out, "ratio=") {
		t.Errorf("output: %s", out)
	}

	failing, _ := buildRequests(u("/fail"), nil, 0)
	res = runAlternating(alternateConfig{addr: ln.Addr().String(), requests: [2][][]byte{fastReqs, failing},
		phase: 10 * time.Millisecond, duration: 80 * time.Millisecond, conns: 2})
	if res.errors[0] != 0 || res.errors[1] == 0 {
		t.Errorf("errors %v: want none for the first target, some for the failing one", res.errors)
	}
}
