// Command report turns the per-round measurements bench/run.sh collects (a TSV file) into the markdown table of
// bench/results/latest.md: medians over rounds, the spread, ratios computed inside each round (so that the machine's
// drift between rounds cancels out) and the DESIGN §7 targets.
//
//	report -in rounds.tsv -meta meta.md > latest.md
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// row is one wrk run: one target in one round.
type row struct {
	round                    int
	target, scenario         string
	rps, p50, p99, cpuPerReq float64 // p50/p99 and CPU in µs
	util                     float64 // proxy CPU seconds per wall second
	rssKiB                   float64
	non2xx, sockErr, upConns float64
	requests                 float64
	steal                    float64 // hypervisor steal, share of the machine's CPU time during the run
	// backendPerReq is the backend's CPU µs per request during the run: the same work whatever the proxy, so it
	// gauges the machine's speed on the proxy's core (0 in files that predate it).
	backendPerReq float64
}

var order = []struct{ target, label, scenario string }{
	{"direct", "direct to backend", "bare"},
	{"nginx", "nginx", "bare proxy"},
	{"haproxy", "HAProxy", "bare proxy"},
	{"caddy", "Caddy", "bare proxy"},
	{"fasthttp", "minimal fasthttp proxy", "bare proxy"},
	{"portico-bare", "Portico", "bare proxy (one route)"},
	{"portico-full", "Portico", "full chain"},
	{"portico-wasm", "Portico", "one WASM plugin"},
	{"portico-routes1", "Portico", "1 route, spread paths"},
	{"portico-routes1000", "Portico", "1 000 routes, spread"},
	{"portico-deploy", "Portico", "deploy every second"},
}

func main() {
	if err := writeReport(os.Args[1:], os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// writeReport writes the report of the measurement files named in args to w.
func writeReport(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	in := fs.String("in", "rounds.tsv", "measurements")
	meta := fs.String("meta", "", "markdown file printed before the table")
	demoRSS := fs.Float64("demo-rss-kib", 0, "RSS of `portico serve --demo` after load, KiB (0: not measured)")
	deploys := fs.String("deploys", "", "deploys done/failed during the deploy scenario, e.g. 15/0")
	fixedIn := fs.String("fixed", "", "latency-at-the-same-load measurements (bench/loadgen runs), TSV")
	pairedIn := fs.String("paired", "", "paired runs of Portico scenarios (one row per quad of alternating A B B A phases and target), TSV")
	maxSteal := fs.Float64("quiet-steal", 0.05, "a run is quiet when the hypervisor's steal stayed at or under this share")
	speedBand := fs.Float64("same-speed", 0.15, "two runs saw the same machine speed when the backend's CPU per request differed by at most this share")
	if err := fs.Parse(args); err != nil {
		return err
	}

	rows, err := read(*in)
	if err != nil {
		return err
	}
	by := map[string][]row{}
	roundSet := map[int]bool{}
	for _, r := range rows {
		by[r.target] = append(by[r.target], r)
		roundSet[r.round] = true
	}
	ratioWhere := func(a, b string, f func(row) float64, keep func(a, b row) bool) (med, lo, hi float64, n int) {
		return roundRatios(rows, a, b, f, keep)
	}
	ratio := func(a, b string, f func(row) float64) (med, lo, hi float64, ok bool) {
		med, lo, hi, n := ratioWhere(a, b, f, func(row, row) bool { return true })
		return med, lo, hi, n > 0
	}
	// comparable: both runs had little steal and saw the same machine speed.
	comparable := func(a, b row) bool {
		return a.steal <= *maxSteal && b.steal <= *maxSteal && sameSpeed(a.backendPerReq, b.backendPerReq, *speedBand)
	}
	rps := func(r row) float64 { return r.rps }

	var b strings.Builder
	if *meta != "" {
		m, err := os.ReadFile(*meta)
		if err != nil {
			return err
		}
		b.Write(m)
		b.WriteString("\n")
	}
	b.WriteString("| Proxy | Scenario | RPS median (min–max) | × direct | × nginx | p50 µs | p99 µs | CPU µs/req | CPU util | RSS MiB | upstream conns | errors | steal | backend µs/req (min–max) |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, o := range order {
		rs := by[o.target]
		if len(rs) == 0 {
			continue
		}
		col := func(f func(row) float64) float64 { return medianOf(rs, f) }
		lo, hi := math.Inf(1), math.Inf(-1)
		errs, conns := 0.0, 0.0
		blo, bhi := math.Inf(1), math.Inf(-1)
		for _, r := range rs {
			lo, hi = math.Min(lo, r.rps), math.Max(hi, r.rps)
			blo, bhi = math.Min(blo, r.backendPerReq), math.Max(bhi, r.backendPerReq)
			errs += r.non2xx + r.sockErr
			conns = math.Max(conns, r.upConns)
		}
		xd, xn := "—", "—"
		if m, _, _, ok := ratio(o.target, "direct", rps); ok && o.target != "direct" {
			xd = fmt.Sprintf("%.2f", m)
		}
		if m, _, _, ok := ratio(o.target, "nginx", rps); ok && o.target != "nginx" {
			xn = fmt.Sprintf("%.2f", m)
		}
		up := fmt.Sprintf("%.0f", conns)
		if o.target == "direct" {
			up = "—"
		}
		backend := "—"
		if blo > 0 {
			backend = fmt.Sprintf("%.1f (%.1f–%.1f)", col(func(r row) float64 { return r.backendPerReq }), blo, bhi)
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f (%.0f–%.0f) | %s | %s | %.0f | %.0f | %.1f | %.0f%% | %.1f | %s | %.0f | %.0f%% | %s |\n",
			o.label, o.scenario, col(rps), lo, hi, xd, xn,
			col(func(r row) float64 { return r.p50 }), col(func(r row) float64 { return r.p99 }),
			col(func(r row) float64 { return r.cpuPerReq }), 100*col(func(r row) float64 { return r.util }),
			col(func(r row) float64 { return r.rssKiB })/1024, up, errs, 100*col(func(r row) float64 { return r.steal }), backend)
	}
	b.WriteString("\nCPU µs/req and CPU util are the proxy's own processes (for \"direct\": the backend's). " +
		"\"upstream conns\" is the most TCP connections the backend accepted during one run (wrk holds the client " +
		"connections; a proxy reusing upstream connections stays near that number, one that does not opens one per request). " +
		"\"errors\" sums non-2xx responses and socket errors over all rounds. \"steal\" is the median hypervisor steal " +
		"during the runs, as a share of the machine's CPU time: time the VM could have run but another tenant had the " +
		"CPU; rounds with a lot of it measure the neighbours as much as the proxies. \"backend µs/req\" is the backend's " +
		"CPU time per request during the runs: it does the same work whatever is in front of it, so it gauges the " +
		"machine's speed on the proxies' core, which drifts (by up to 1.7×) without any steal showing.\n")

	var paired []pairedRow
	if *pairedIn != "" {
		if paired, err = readPaired(*pairedIn); err != nil {
			return err
		}
	}

	// The DESIGN §7 targets, each a ratio measured inside every round; median and (min–max) over rounds. Where the
	// paired runs measured a ratio, they decide "Met": their phases alternate every quarter second on the same
	// connections, where a round's runs are seconds apart.
	fmt.Fprintf(&b, "\n| Target | Measured: median (min–max over rounds) | Rounds where both runs had steal ≤ %.0f %% and the same machine speed (backend µs/req within ±%.0f %%) | Paired runs (A and B alternating on the same connections, A B B A): mean RPS of A ÷ of B (per-quad median, min–max, quads) | Met (the paired runs where measured, else all rounds) |\n|---|---|---|---|---|\n", 100**maxSteal, 100**speedBand)
	check := func(name, a, bb string, f func(row) float64, min, max float64) {
		m, lo, hi, ok := ratio(a, bb, f)
		if !ok {
			fmt.Fprintf(&b, "| %s | not measured | — | — | — |\n", name)
			return
		}
		quietCol := "none"
		if qm, qlo, qhi, n := ratioWhere(a, bb, f, comparable); n > 0 {
			quietCol = fmt.Sprintf("%.3f (%.2f–%.2f, %d of %d)", qm, qlo, qhi, n, len(roundSet))
		}
		pairedCol, decided := "—", m
		if pr := pairedRatio(paired, a, bb); pr.rounds > 0 {
			pairedCol = fmt.Sprintf("%.3f (%.3f, %.2f–%.2f, %d)", pr.total, pr.med, pr.lo, pr.hi, pr.rounds)
			decided = pr.total
		}
		met := (min == 0 || decided >= min) && (max == 0 || decided <= max)
		fmt.Fprintf(&b, "| %s | %.3f (%.2f–%.2f) | %s | %s | %s |\n", name, m, lo, hi, quietCol, pairedCol, yesNo(met))
	}
	p50 := func(r row) float64 { return r.p50 }
	p99 := func(r row) float64 { return r.p99 }
	check("bare Portico RPS ≥ 0.8× nginx", "portico-bare", "nginx", rps, 0.8, 0)
	check("bare Portico RPS ≥ 2.5× Caddy", "portico-bare", "caddy", rps, 2.5, 0)
	var fixed []fixedRow
	if *fixedIn != "" {
		if fixed, err = readFixed(*fixedIn); err != nil {
			return err
		}
	}
	loads := byRate(fixed)
	if len(loads) > 0 {
		for _, l := range loads {
			latencyCheck(&b, l.rows, fmt.Sprintf("bare Portico p50 ≤ 1.1× nginx at the same load (%.0f req/s)", l.rate),
				"portico-bare", "nginx", func(r fixedRow) float64 { return r.p50 }, 1.1, *maxSteal)
			latencyCheck(&b, l.rows, fmt.Sprintf("bare Portico p99 ≤ 1.1× nginx at the same load (%.0f req/s)", l.rate),
				"portico-bare", "nginx", func(r fixedRow) float64 { return r.p99 }, 1.1, *maxSteal)
		}
	} else {
		check("bare Portico p50 ≤ 1.1× nginx (saturated; no same-load run)", "portico-bare", "nginx", p50, 0, 1.1)
		check("bare Portico p99 ≤ 1.1× nginx (saturated; no same-load run)", "portico-bare", "nginx", p99, 0, 1.1)
	}
	check("full chain ≥ 0.85× bare", "portico-full", "portico-bare", rps, 0.85, 0)
	check("one WASM plugin ≥ 0.9× bare", "portico-wasm", "portico-bare", rps, 0.9, 0)
	check("1 000 routes ≥ 0.95× one route", "portico-routes1000", "portico-routes1", rps, 0.95, 0)
	if rs := by["portico-deploy"]; len(rs) > 0 {
		errs := 0.0
		for _, r := range rs {
			errs += r.non2xx + r.sockErr
		}
		fmt.Fprintf(&b, "| deploy every second: zero errors | %.0f errors; deploys done/failed %s | — | — | %s |\n", errs, *deploys, yesNo(errs == 0 && *deploys != "" && strings.HasSuffix(*deploys, "/0")))
	}
	if *demoRSS > 0 {
		fmt.Fprintf(&b, "| RSS < 64 MiB with the demo config | %.1f MiB | — | — | %s |\n", *demoRSS/1024, yesNo(*demoRSS < 64*1024))
	}
	for _, l := range loads {
		writeFixedTable(&b, l.rows)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// fixedRow is one bench/loadgen run: one target at the fixed rate in one round.
type fixedRow struct {
	round                      int
	target                     string
	rate, requests, errs, late float64
	p50, p90, p99, p999, max   float64 // µs
	steal                      float64 // hypervisor steal during the run, share of the machine's CPU time
	backendPerReq              float64 // the backend's CPU µs per request (recorded; not a speed gauge below saturation)
}

// valid reports whether the run held its rate: at most 5 % of its requests were sent more than 1 ms late.
func (r fixedRow) valid() bool { return r.requests > 0 && r.late <= 0.05*r.requests }

// fixedRatio is roundRatios over the runs that held their rate.
func fixedRatio(rows []fixedRow, a, b string, f func(fixedRow) float64) (med, lo, hi float64, n int) {
	return roundRatios(rows, a, b, f, func(x, y fixedRow) bool { return x.valid() && y.valid() })
}

// sameSpeed reports whether two runs saw the same machine speed: the larger of the backend's CPU per request,
// measured in both, is at most band (a share) above the smaller. Runs without the measurement never do.
func sameSpeed(a, b, band float64) bool {
	if a <= 0 || b <= 0 {
		return false
	}
	return math.Max(a, b)/math.Min(a, b)-1 <= band+1e-9
}

// run is one measurement of one target in one round.
type run interface {
	key() (round int, target string)
}

func (r row) key() (int, string)      { return r.round, r.target }
func (r fixedRow) key() (int, string) { return r.round, r.target }

// roundRatios returns the median over rounds of f(a)/f(b), its min and max, and the number of rounds used: those
// holding a run of both targets that keep accepts as a pair. Ratios are taken inside a round so that the machine's
// drift between rounds cancels out.
func roundRatios[R run](rows []R, a, b string, f func(R) float64, keep func(a, b R) bool) (med, lo, hi float64, n int) {
	rounds := map[int]map[string]R{}
	for _, r := range rows {
		round, target := r.key()
		if rounds[round] == nil {
			rounds[round] = map[string]R{}
		}
		rounds[round][target] = r
	}
	var xs []float64
	for _, m := range rounds {
		ra, okA := m[a]
		rb, okB := m[b]
		if okA && okB && keep(ra, rb) && f(rb) > 0 {
			xs = append(xs, f(ra)/f(rb))
		}
	}
	if len(xs) == 0 {
		return 0, 0, 0, 0
	}
	sort.Float64s(xs)
	return median(xs), xs[0], xs[len(xs)-1], len(xs)
}

// medianOf is the median of f over rs.
func medianOf[R any](rs []R, f func(R) float64) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = f(r)
	}
	sort.Float64s(xs)
	return median(xs)
}

func latencyCheck(b *strings.Builder, rows []fixedRow, name, a, base string, f func(fixedRow) float64, max, maxSteal float64) {
	m, lo, hi, n := fixedRatio(rows, a, base, f)
	if n == 0 {
		fmt.Fprintf(b, "| %s | not measured (no round with both runs valid) | — | — | — |\n", name)
		return
	}
	// Steal only: below saturation the backend's CPU per request depends on how the proxy in front batches its
	// requests (≈ 17 µs behind Portico, ≈ 20 behind the minimal proxy, ≈ 23 behind nginx at the same rate), so it
	// does not gauge the machine's speed here.
	quiet := func(x, y fixedRow) bool {
		return x.valid() && y.valid() && x.steal <= maxSteal && y.steal <= maxSteal
	}
	quietCol := "none"
	if qm, qlo, qhi, qn := roundRatios(rows, a, base, f, quiet); qn > 0 {
		quietCol = fmt.Sprintf("%.3f (%.2f–%.2f, %d rounds; steal only, see docs/performance.md)", qm, qlo, qhi, qn)
	}
	fmt.Fprintf(b, "| %s | %.3f (%.2f–%.2f, %d rounds) | %s | — | %s |\n", name, m, lo, hi, n, quietCol, yesNo(m <= max))
}

// load is the runs of one offered rate.
type load struct {
	rate float64
	rows []fixedRow
}

// byRate groups the fixed-load runs by their rate, lowest first.
func byRate(rows []fixedRow) []load {
	var loads []load
	for _, r := range rows {
		i := 0
		for i < len(loads) && loads[i].rate != r.rate {
			i++
		}
		if i == len(loads) {
			loads = append(loads, load{rate: r.rate})
		}
		loads[i].rows = append(loads[i].rows, r)
	}
	sort.Slice(loads, func(i, j int) bool { return loads[i].rate < loads[j].rate })
	return loads
}

func writeFixedTable(b *strings.Builder, rows []fixedRow) {
	rate := 0.0
	by := map[string][]fixedRow{}
	invalid := map[string]int{}
	for _, r := range rows {
		rate = math.Max(rate, r.rate)
		if r.valid() {
			by[r.target] = append(by[r.target], r)
		} else {
			invalid[r.target]++
		}
	}
	fmt.Fprintf(b, "\n### Latency at the same load: %.0f req/s\n\nOpen loop at %.0f req/s (bench/loadgen, the same %s connections), "+
		"interleaved rounds; medians over the valid rounds, ratios to nginx computed inside each round. A run that sent "+
		"more than 5 %% of its requests over 1 ms late did not hold the rate and is left out (\"invalid\").\n\n", rate, rate, "wrk")
	b.WriteString("| Proxy | p50 µs | p90 µs | p99 µs | p99.9 µs | p50 × nginx | p99 × nginx | valid / invalid runs | errors | steal (all runs) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, o := range order {
		rs, bad := by[o.target], invalid[o.target]
		if len(rs) == 0 && bad == 0 {
			continue
		}
		col := func(f func(fixedRow) float64) float64 { return medianOf(rs, f) }
		ratioCol := func(f func(fixedRow) float64) string {
			if o.target == "nginx" {
				return "—"
			}
			if m, _, _, n := fixedRatio(rows, o.target, "nginx", f); n > 0 {
				return fmt.Sprintf("%.2f", m)
			}
			return "—"
		}
		errs := 0.0
		for _, r := range rs {
			errs += r.errs
		}
		p50 := func(r fixedRow) float64 { return r.p50 }
		p99 := func(r fixedRow) float64 { return r.p99 }
		var steals []float64
		for _, r := range rows {
			if r.target == o.target {
				steals = append(steals, r.steal)
			}
		}
		sort.Float64s(steals)
		// Latencies of valid runs only: a proxy with none has no latency to show (not a latency of 0).
		lat := func(f func(fixedRow) float64) string {
			if len(rs) == 0 {
				return "—"
			}
			return fmt.Sprintf("%.0f", col(f))
		}
		fmt.Fprintf(b, "| %s (%s) | %s | %s | %s | %s | %s | %s | %d / %d | %.0f | %.0f%% |\n", o.label, o.scenario,
			lat(p50), lat(func(r fixedRow) float64 { return r.p90 }), lat(p99), lat(func(r fixedRow) float64 { return r.p999 }),
			ratioCol(p50), ratioCol(p99), len(rs), bad, errs, 100*median(steals))
	}
}

func readFixed(name string) ([]fixedRow, error) {
	return readTSV(name, 11, func(f fields) fixedRow {
		return fixedRow{round: f.round(), target: f[1], rate: f.num(2), requests: f.num(3), errs: f.num(4),
			late: f.num(5), p50: f.num(6), p90: f.num(7), p99: f.num(8), p999: f.num(9), max: f.num(10),
			steal: f.num(11), backendPerReq: f.num(12)}
	})
}

// pairedRow is one target of a pair in one quad of a paired measurement (its round).
type pairedRow struct {
	round         int
	pair, target  string
	rps, requests float64
	steal         float64
}

func (r pairedRow) key() (int, string) { return r.round, r.target }

func readPaired(name string) ([]pairedRow, error) {
	return readTSV(name, 5, func(f fields) pairedRow {
		return pairedRow{round: f.round(), pair: f[1], target: f[2], rps: f.num(3), requests: f.num(4), steal: f.num(5)}
	})
}

// pairedResult is the ratio of a to b over the paired runs of the pair "a:b".
type pairedResult struct {
	total       float64 // mean RPS of a ÷ mean RPS of b, over the rounds with both
	med, lo, hi float64 // per-round ratios of the RPS
	rounds      int
}

// pairedRatio divides a by b over the pair's rounds (quads) that hold both: the mean RPS of a over the mean RPS of b
// (RPS, not requests, so that every round weighs the same whatever its length).
func pairedRatio(rows []pairedRow, a, b string) pairedResult {
	var mine []pairedRow
	for _, r := range rows {
		if r.pair == a+":"+b {
			mine = append(mine, r)
		}
	}
	rps := func(r pairedRow) float64 { return r.rps }
	med, lo, hi, n := roundRatios(mine, a, b, rps, func(x, y pairedRow) bool { return x.rps > 0 && y.rps > 0 })
	if n == 0 {
		return pairedResult{}
	}
	type runs struct{ a, b float64 }
	byRound := map[int]*runs{}
	for _, r := range mine {
		if byRound[r.round] == nil {
			byRound[r.round] = &runs{}
		}
		switch r.target {
		case a:
			byRound[r.round].a = r.rps
		case b:
			byRound[r.round].b = r.rps
		}
	}
	var sa, sb float64
	for _, x := range byRound {
		if x.a > 0 && x.b > 0 { // the rounds roundRatios used
			sa, sb = sa+x.a, sb+x.b
		}
	}
	if sb == 0 {
		return pairedResult{}
	}
	return pairedResult{total: sa / sb, med: med, lo: lo, hi: hi, rounds: n}
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// fields are the tab-separated fields of one line of a measurements file.
type fields []string

// num parses field i, 0 when the file predates it (older files have fewer columns).
func (f fields) num(i int) float64 {
	if i >= len(f) {
		return 0
	}
	v, _ := strconv.ParseFloat(f[i], 64)
	return v
}

func (f fields) round() int { r, _ := strconv.Atoi(f[0]); return r }

// readTSV parses the lines of a measurements file that have at least minFields fields, skipping its header line.
func readTSV[R any](name string, minFields int, parse func(fields) R) ([]R, error) {
	file, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var rows []R
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		fs := fields(strings.Split(sc.Text(), "\t"))
		if len(fs) < minFields || fs[0] == "round" {
			continue
		}
		rows = append(rows, parse(fs))
	}
	return rows, sc.Err()
}

func read(name string) ([]row, error) {
	return readTSV(name, 13, func(f fields) row {
		return row{round: f.round(), target: f[1], scenario: f[2], rps: f.num(3), p50: f.num(4), p99: f.num(5),
			cpuPerReq: f.num(6), util: f.num(7), rssKiB: f.num(8), non2xx: f.num(9), sockErr: f.num(10),
			upConns: f.num(11), requests: f.num(12), steal: f.num(13), backendPerReq: f.num(14)}
	})
}
