package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSameSpeed(t *testing.T) {
	for _, tc := range []struct {
		a, b float64
		want bool
	}{
		{10, 10, true},
		{10, 11.5, true},  // +15 %
		{11.5, 10, true},  // the other way round
		{10, 11.6, false}, // +16 %
		{10, 8.6, false},  // the first 16 % above the second
		{0, 10, false},    // not measured
		{10, 0, false},
	} {
		if got := sameSpeed(tc.a, tc.b, 0.15); got != tc.want {
			t.Errorf("sameSpeed(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestRoundRatiosKeepsPairs: the filter sees both runs of a round, and a round it refuses counts nowhere.
func TestRoundRatiosKeepsPairs(t *testing.T) {
	rows := []row{
		{round: 1, target: "a", rps: 90, backendPerReq: 10},
		{round: 1, target: "b", rps: 100, backendPerReq: 10.5},
		{round: 2, target: "a", rps: 50, backendPerReq: 20}, // the machine slowed down between the two runs
		{round: 2, target: "b", rps: 100, backendPerReq: 10},
		{round: 3, target: "a", rps: 80, backendPerReq: 12},
		{round: 3, target: "b", rps: 100, backendPerReq: 12},
	}
	rps := func(r row) float64 { return r.rps }
	med, lo, hi, n := roundRatios(rows, "a", "b", rps, func(row, row) bool { return true })
	if n != 3 || !near(med, 0.8) || !near(lo, 0.5) || !near(hi, 0.9) {
		t.Errorf("all rounds: median %v (%v–%v) over %d, want 0.8 (0.5–0.9) over 3", med, lo, hi, n)
	}
	same := func(a, b row) bool { return sameSpeed(a.backendPerReq, b.backendPerReq, 0.15) }
	med, lo, hi, n = roundRatios(rows, "a", "b", rps, same)
	if n != 2 || !near(med, 0.85) || !near(lo, 0.8) || !near(hi, 0.9) {
		t.Errorf("same-speed rounds: median %v (%v–%v) over %d, want 0.85 (0.8–0.9) over 2", med, lo, hi, n)
	}
}

// TestReportReadsOlderFiles: a rounds file written before the backend column still makes a report, with the
// same-speed column empty instead of failing.
func TestReportReadsOlderFiles(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "rounds.tsv")
	old := "round\ttarget\tscenario\trps\tp50us\tp99us\tcpu_us_per_req\tutil\trss_kib\tnon2xx\tsockerr\tupconns\trequests\tsteal\n" +
		"1\tportico-bare\t-\t100\t1\t2\t20\t0.7\t1000\t0\t0\t0\t500\t0\n" +
		"1\tportico-full\t-\t90\t1\t2\t22\t0.7\t1000\t0\t0\t0\t450\t0\n"
	if err := os.WriteFile(in, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	rows, err := read(in)
	if err != nil || len(rows) != 2 || rows[0].backendPerReq != 0 {
		t.Fatalf("read: %v, %+v", err, rows)
	}
	_, _, _, n := roundRatios(rows, "portico-full", "portico-bare", func(r row) float64 { return r.rps },
		func(a, b row) bool { return sameSpeed(a.backendPerReq, b.backendPerReq, 0.15) })
	if n != 0 {
		t.Errorf("%d same-speed rounds from a file without the measurement, want 0", n)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestByRate(t *testing.T) {
	rows := []fixedRow{{round: 1, target: "nginx", rate: 16000}, {round: 1, target: "nginx", rate: 8000},
		{round: 2, target: "nginx", rate: 16000}}
	loads := byRate(rows)
	if len(loads) != 2 || loads[0].rate != 8000 || len(loads[0].rows) != 1 || loads[1].rate != 16000 || len(loads[1].rows) != 2 {
		t.Fatalf("byRate = %+v", loads)
	}
}

// TestFixedTableWithoutValidRuns: a proxy none of whose runs held the rate shows no latency, not 0 µs.
func TestFixedTableWithoutValidRuns(t *testing.T) {
	rows := []fixedRow{{round: 1, target: "nginx", rate: 1000, requests: 100, late: 50, p50: 900},
		{round: 1, target: "portico-bare", rate: 1000, requests: 100, late: 0, p50: 200, p90: 300, p99: 400, p999: 500}}
	var b strings.Builder
	writeFixedTable(&b, rows)
	out := b.String()
	if !strings.Contains(out, "| nginx (bare proxy) | — | — | — | — | — | — | 0 / 1 |") {
		t.Errorf("a proxy without valid runs:\n%s", out)
	}
	if !strings.Contains(out, "| Portico (bare proxy (one route)) | 200 | 300 | 400 | 500 |") {
		t.Errorf("a proxy with a valid run:\n%s", out)
	}
}
