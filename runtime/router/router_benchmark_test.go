package router

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// serviceTemplates is the shape of one service's resource tree in the benchmarks: ten routes, a mix of static
// collections, one-variable items and sub-resources, like a typical REST API. The {id} template is shared by several
// collections, so the tree has realistic depth and fan-out.
var serviceTemplates = []struct {
	path string
	req  string // a request that hits the route with one variable, or "" for routes without one
}{
	{"/items", ""},
	{"/items/{id}", "/items/8f3a21c0"},
	{"/items/{id}/sub", "/items/8f3a21c0/sub"},
	{"/items/search", ""},
	{"/orders", ""},
	{"/orders/{orderId}", "/orders/2024-000123"},
	{"/orders/{orderId}/lines", "/orders/2024-000123/lines"},
	{"/users/{userId}", "/users/alice"},
	{"/users/{userId}/profile", "/users/alice/profile"},
	{"/health", ""},
}

// benchRouter builds n routes spread over n/10 services (/svcN/...) and the requests that hit the one-variable
// routes among them, shuffled so that consecutive lookups touch different parts of the tree (as real traffic does,
// and unlike a loop over one path that keeps the whole walk in L1). The request bytes share one backing array, as
// they would share a connection's read buffer, so the benchmark measures the tree's cache misses, not its own.
func benchRouter(b *testing.B, n int) (*Router[int], [][]byte) {
	bld := NewBuilder[int]()
	var reqs [][]byte
	for i := 0; i < n; i++ {
		svc, t := i/len(serviceTemplates), serviceTemplates[i%len(serviceTemplates)]
		if err := bld.Add("GET", fmt.Sprintf("/svc%d%s", svc, t.path), i); err != nil {
			b.Fatal(err)
		}
		if t.req != "" {
			reqs = append(reqs, fmt.Appendf(nil, "/svc%d%s", svc, t.req))
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	rng.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
	var backing []byte
	for _, r := range reqs {
		backing = append(backing, r...)
	}
	for i, off := 0, 0; i < len(reqs); i++ {
		n := len(reqs[i])
		reqs[i], off = backing[off:off+n:off+n], off+n
	}
	return bld.Build(), reqs
}

func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			r, reqs := benchRouter(b, n)
			p := NewParams()
			get := []byte("GET")
			b.ReportAllocs()
			i, cpu := 0, processCPU()
			for b.Loop() {
				if _, _, st := r.Lookup(get, reqs[i], p); st != Found || p.Len() != 1 {
					b.Fatalf("%s: %v", reqs[i], st)
				}
				if i++; i == len(reqs) {
					i = 0
				}
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
	b.Run("greedy", func(b *testing.B) {
		// A catch-all proxy next to static and {var} siblings it must first fall through, with an encoded segment.
		bld := NewBuilder[int]()
		for i, path := range []string{"/static/{file}", "/static/{file}/index.html", "/static/{proxy+}", "/api/{x}"} {
			if err := bld.Add("GET", path, i); err != nil {
				b.Fatal(err)
			}
		}
		r, p := bld.Build(), NewParams()
		get, path := []byte("GET"), []byte("/static/assets/js/vendor/app%20bundle.min.js")
		b.ReportAllocs()
		for b.Loop() {
			if _, _, st := r.Lookup(get, path, p); st != Found {
				b.Fatal(st)
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		r, _ := benchRouter(b, 1000)
		p := NewParams()
		get, path := []byte("GET"), []byte("/svc42/items/8f3a21c0/nope")
		b.ReportAllocs()
		for b.Loop() {
			if _, _, st := r.Lookup(get, path, p); st != NotFound {
				b.Fatal(st)
			}
		}
	})
	b.Run("long", func(b *testing.B) {
		// The worst well-formed request: 8 KiB of segments into a catch-all.
		r := mustBuild(b, [][2]string{{"ANY", "/{proxy+}"}}, label)
		p := NewParams()
		get, path := []byte("GET"), []byte(strings.Repeat("/ab%2F", MaxRequestPathLength/6))
		b.SetBytes(int64(len(path)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, st := r.Lookup(get, path, p); st != Found {
				b.Fatal(st)
			}
		}
	})
}

func BenchmarkBuild(b *testing.B) {
	// Deploy compiles the tree; §7 wants a 1 000-route deploy well under 100 ms.
	b.ReportAllocs()
	for b.Loop() {
		benchRouter(b, 1000)
	}
}

func BenchmarkSplit(b *testing.B) {
	// Splitting and decoding is the part of a lookup that does not depend on the routes.
	for _, path := range []string{"/svc42/items/8f3a21c0/sub", "/files/a%20b/%C3%A9t%C3%A9/report.v2.pdf"} {
		b.Run(path, func(b *testing.B) {
			p, raw := NewParams(), []byte(path)
			b.ReportAllocs()
			for b.Loop() {
				if p.split(raw) != Found {
					b.Fatal(path)
				}
			}
		})
	}
}
