package main

import (
	"fmt"
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

func TestPairedRatio(t *testing.T) {
	rows := []pairedRow{
		{round: 1, pair: "a:b", target: "a", rps: 90},
		{round: 1, pair: "a:b", target: "b", rps: 100},
		{round: 2, pair: "a:b", target: "b", rps: 200}, // the machine was twice as fast for both runs
		{round: 2, pair: "a:b", target: "a", rps: 190},
		{round: 3, pair: "a:b", target: "a", rps: 10}, // a round without its b run counts for nothing
		{round: 4, pair: "a:b", target: "a", rps: 0},  // nor one whose a run failed
		{round: 4, pair: "a:b", target: "b", rps: 100},
		{round: 1, pair: "c:b", target: "b", rps: 1}, // another pair's runs of b are not this pair's
		{round: 1, pair: "c:b", target: "c", rps: 1},
	}
	got := pairedRatio(rows, "a", "b")
	if got.rounds != 2 || !near(got.total, 280.0/300) || !near(got.lo, 0.9) || !near(got.hi, 0.95) || !near(got.med, 0.925) {
		t.Errorf("pairedRatio = %+v, want total 0.933 over 2 rounds, per round 0.9–0.95", got)
	}
	if got := pairedRatio(rows, "b", "a"); got.rounds != 0 {
		t.Errorf("the pair is a:b, so b:a was not measured: %+v", got)
	}
	if got := pairedRatio(rows, "x", "b"); got.rounds != 0 {
		t.Errorf("a pair never measured: %+v", got)
	}
}

// TestReportPairedRunsDecide: where the paired runs measured a target's ratio they decide "Met", and the
// interleaved rounds' median is still shown.
func TestReportPairedRunsDecide(t *testing.T) {
	dir := t.TempDir()
	rounds := filepath.Join(dir, "rounds.tsv")
	head := "round\ttarget\tscenario\trps\tp50us\tp99us\tcpu_us_per_req\tutil\trss_kib\tnon2xx\tsockerr\tupconns\trequests\tsteal\tbackend_us_per_req\n"
	line := func(round int, target string, rps float64) string {
		return fmt.Sprintf("%d\t%s\t-\t%.0f\t1\t2\t20\t0.7\t1000\t0\t0\t0\t%.0f\t0\t10\n", round, target, rps, rps*4)
	}
	// In the rounds the WASM scenario looks at 0.80× bare and the routes at 0.90×; no paired runs of the routes.
	data := head + line(1, "portico-bare", 100) + line(1, "portico-wasm", 80) + line(1, "portico-routes1", 100) +
		line(1, "portico-routes1000", 90)
	paired := filepath.Join(dir, "paired.tsv")
	pdata := "round\tpair\ttarget\trps\trequests\tsteal\n" +
		"1\tportico-wasm:portico-bare\tportico-wasm\t95\t104\t0\n1\tportico-wasm:portico-bare\tportico-bare\t100\t100\t0\n" +
		"2\tportico-wasm:portico-bare\tportico-bare\t100\t100\t0\n2\tportico-wasm:portico-bare\tportico-wasm\t93\t93\t0\n"
	for name, d := range map[string]string{rounds: data, paired: pdata} {
		if err := os.WriteFile(name, []byte(d), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	if err := writeReport([]string{"-in", rounds, "-paired", paired}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| one WASM plugin ≥ 0.9× bare | 0.800 (0.80–0.80) | 0.800 (0.80–0.80, 1 of 1) | 0.940 (0.940, 0.93–0.95, 2) | yes |",
		"| 1 000 routes ≥ 0.95× one route | 0.900 (0.90–0.90) | 0.900 (0.90–0.90, 1 of 1) | — | **no** |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
