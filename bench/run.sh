#!/usr/bin/env bash
# Load benchmark of Portico against nginx, HAProxy and Caddy (Debian packages) and a minimal fasthttp proxy, all as
# plain reverse proxies on loopback in front of the same fasthttp backend, driven by wrk in interleaved rounds.
# See docs/performance.md for the method. Results: bench/results/latest.md (and stdout).
#
#   bench/run.sh                          # defaults: 5 rounds × 11 targets × (1 s warm-up + 4 s), then the same-load latency phase at two loads, ~9 minutes
#   ROUNDS=5 DURATION=10 bench/run.sh     # longer
#   TARGETS="direct nginx portico-bare" bench/run.sh
#
# Environment:
#   DURATION   seconds of each measured wrk run (4)        WARMUP     seconds of the wrk warm-up before each (1)
#   ROUNDS     interleaved rounds (5)                       CONNS      wrk connections (64); THREADS wrk threads (1)
#   PROXY_CPU  the core the proxy under test and the backend share (1)
#   LOAD_CPU   wrk's core (0)                               TIME_LIMIT hard bound on the whole run, seconds (900)
#   TARGETS    which targets to run (all; see ALL_TARGETS)  KEEP=1     keep the temp dir (configs, wrk outputs)
#   OUT        the markdown result (bench/results/latest.md)
#   PERF=1     record a CPU profile of Portico (perf, 1999 Hz, call graphs) during each Portico run: the top
#              symbols go to bench/results/profiles/TARGET-{self,children}.txt (perf costs a few % of throughput)
#   DEMO=0     skip the RSS measurement of `portico serve --demo`
#   FIXED_TARGETS  targets of the latency-at-the-same-load phase (fasthttp nginx portico-bare, run in that order; "" skips it)
#   LOAD_FRACTIONS its offered loads, as fractions of nginx's median saturated RPS ("0.25 0.5"; each one a phase)
#   FIXED_ROUNDS / FIXED_DURATION  its interleaved rounds (5) and seconds per run (3, after 1 s at the rate)
#   PAIRS      the Portico scenario pairs measured alternating on the same connections ("portico-full:portico-bare
#              portico-wasm:portico-bare portico-routes1000:portico-routes1"; "" skips them)
#   PAIR_DURATION / PAIR_PHASE  seconds each pair is measured (40) and how long each phase sends to one target (250ms)
#
# Needs: go, wrk, taskset, curl; nginx, haproxy and caddy are skipped (and said so) when not installed
# (apt-get install -y nginx haproxy caddy wrk).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-4}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
PROXY_CPU=${PROXY_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
TIME_LIMIT=${TIME_LIMIT:-900}
OUT=${OUT:-$ROOT/bench/results/latest.md}
# The order the targets run in within a round (whatever order TARGETS lists them in): the runs a target ratio compares
# are next to each other or one apart (nginx, bare, full; Caddy and WASM one from bare; the two route scenarios).
ALL_TARGETS="direct haproxy fasthttp caddy nginx portico-bare portico-full portico-wasm portico-routes1 portico-routes1000 portico-deploy"
TARGETS=${TARGETS:-$ALL_TARGETS}
ROUTES=1000

BACKEND_PORT=18000 PORTICO_PORT=18080 ADMIN_PORT=18090 NGINX_PORT=18081 HAPROXY_PORT=18082 CADDY_PORT=18083
FAST_PORT=18084 DEMO_PORT=18180 DEMO_ADMIN_PORT=18190 DEMO_BACKEND_PORT=18109

DEADLINE=$((SECONDS + TIME_LIMIT))
WORK=$(mktemp -d /tmp/portico-bench.XXXXXX)
BIN=$WORK/bin
PIDS=()
declare -A PID_OF

log() { printf '[bench %4ds] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [[ ${KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# The watchdog: the run never outlives TIME_LIMIT (each step is also bounded, and the loop checks the deadline).
(
	sleep "$TIME_LIMIT" &
	sp=$!
	trap 'kill $sp 2>/dev/null; exit 0' TERM
	wait $sp && log "time limit of ${TIME_LIMIT}s reached: stopping" && kill -TERM $$
) &
WATCHDOG=$!
PIDS+=("$WATCHDOG")
left() { echo $((DEADLINE - SECONDS)); }

need() { command -v "$1" >/dev/null || die "$1 is not installed (apt-get install -y $2)"; }
need wrk wrk
need taskset util-linux
need curl curl
need go golang
have() { command -v "$1" >/dev/null; }

for p in $BACKEND_PORT $PORTICO_PORT $ADMIN_PORT $NGINX_PORT $HAPROXY_PORT $CADDY_PORT $FAST_PORT $DEMO_PORT $DEMO_ADMIN_PORT $DEMO_BACKEND_PORT; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is already in use"; fi
done

# start NAME CPU CMD…: run CMD pinned to CPU in the background, remember its PID.
start() {
	local name=$1 cpu=$2
	shift 2
	taskset -c "$cpu" "$@" >"$WORK/$name.log" 2>&1 &
	PID_OF[$name]=$!
	PIDS+=("$!")
}
wait_port() {
	local port=$1
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	die "nothing listens on 127.0.0.1:$port (logs in $WORK, KEEP=1 to keep them)"
}

# ---- build -------------------------------------------------------------------------------------------------------
log "building Portico and the helpers into $BIN"
mkdir -p "$BIN"
(cd "$ROOT" && CGO_ENABLED=0 timeout 300 go build -trimpath -o "$BIN/portico" ./cmd/portico)
(cd "$ROOT" && timeout 300 go build -trimpath -o "$BIN/" ./bench/backend ./bench/benchtool ./bench/report ./bench/fastproxy ./bench/loadgen)
WASM=$ROOT/examples/plugins/go/add-header/add-header.wasm
if [[ " $TARGETS " == *" portico-wasm "* ]]; then
	(cd "$ROOT" && timeout 300 examples/plugins/go/build.sh add-header >/dev/null)
fi
"$BIN/benchtool" -out "$WORK" -backend "127.0.0.1:$BACKEND_PORT" -routes $ROUTES

# ---- the backend -------------------------------------------------------------------------------------------------
start backend "$PROXY_CPU" "$BIN/backend" -addr "127.0.0.1:$BACKEND_PORT"
wait_port $BACKEND_PORT

# ---- peers ---------------------------------------------------------------------------------------------------------
skip() { log "skipping $1: $2"; TARGETS=$(echo " $TARGETS " | sed "s/ $1 / /"); SKIPPED+=("$1 ($2)"); }
SKIPPED=()
want() { [[ " $TARGETS " == *" $1 "* ]]; }

if want nginx; then
	if have nginx || [[ -x /usr/sbin/nginx ]]; then
		mkdir -p "$WORK/nginx"
		cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log error;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    upstream backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
		start nginx "$PROXY_CPU" "$(command -v nginx || echo /usr/sbin/nginx)" -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf"
		wait_port $NGINX_PORT
	else skip nginx "not installed"; fi
fi

if want haproxy; then
	if have haproxy || [[ -x /usr/sbin/haproxy ]]; then
		cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
    http-reuse always
frontend fe
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend be
backend be
    server s1 127.0.0.1:$BACKEND_PORT
EOF
		start haproxy "$PROXY_CPU" "$(command -v haproxy || echo /usr/sbin/haproxy)" -db -f "$WORK/haproxy.cfg"
		wait_port $HAPROXY_PORT
	else skip haproxy "not installed"; fi
fi

if want caddy; then
	if have caddy; then
		# Caddy keeps only 32 idle upstream connections per host by default: with 64 client connections it would close
		# and reopen upstream connections all the time, so the pool is raised to match nginx's keepalive 64.
		cat >"$WORK/Caddyfile" <<EOF
{
	admin off
	auto_https off
	log {
		output discard
	}
}
http://:$CADDY_PORT {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:$BACKEND_PORT {
		transport http {
			keepalive 2m
			keepalive_idle_conns 1024
			keepalive_idle_conns_per_host 1024
		}
	}
}
EOF
		mkdir -p "$WORK/caddy-home"
		start caddy "$PROXY_CPU" env HOME="$WORK/caddy-home" XDG_CONFIG_HOME="$WORK/caddy-home" \
			XDG_DATA_HOME="$WORK/caddy-home" caddy run --config "$WORK/Caddyfile" --adapter caddyfile
		wait_port $CADDY_PORT
	else skip caddy "not installed (apt-cache policy caddy)"; fi
fi

if want fasthttp; then
	start fasthttp "$PROXY_CPU" "$BIN/fastproxy" -addr "127.0.0.1:$FAST_PORT" -upstream "127.0.0.1:$BACKEND_PORT"
	wait_port $FAST_PORT
fi

# ---- Portico -------------------------------------------------------------------------------------------------------
if [[ " $TARGETS " == *" portico-"* ]]; then
	mkdir -p "$WORK/data"
	start portico "$PROXY_CPU" "$BIN/portico" serve --data "$WORK/data" --listen "127.0.0.1:$PORTICO_PORT" \
		--admin-listen "127.0.0.1:$ADMIN_PORT" --log-level error --max-methods $((ROUTES + 100))
	wait_port $PORTICO_PORT
	wait_port $ADMIN_PORT
	PC=(--server "http://127.0.0.1:$ADMIN_PORT" --data "$WORK/data")
	pcli() { taskset -c "$LOAD_CPU" timeout 60 "$BIN/portico" "$@" "${PC[@]}"; }
	pcli module add add-header "$WASM" >/dev/null
	pcli apply -f "$WORK/portico.yaml" >"$WORK/apply.log"
	for s in bench-bare bench-full bench-wasm bench-routes bench-deploy; do pcli deploy "$s" default >/dev/null; done
fi

# ---- what each target is -----------------------------------------------------------------------------------------
TOKEN=$(cat "$WORK/token")
APIKEY=$(cat "$WORK/apikey")
target_url() {
	case $1 in
	direct) echo "http://127.0.0.1:$BACKEND_PORT/items/1" ;;
	nginx) echo "http://127.0.0.1:$NGINX_PORT/items/1" ;;
	haproxy) echo "http://127.0.0.1:$HAPROXY_PORT/items/1" ;;
	caddy) echo "http://127.0.0.1:$CADDY_PORT/items/1" ;;
	fasthttp) echo "http://127.0.0.1:$FAST_PORT/items/1" ;;
	portico-routes1 | portico-routes1000) echo "http://127.0.0.1:$PORTICO_PORT" ;;
	portico-*) echo "http://127.0.0.1:$PORTICO_PORT/items/1" ;;
	esac
}
# target_args NAME: wrk's extra arguments (headers, script) — the same Host header for every bare target.
target_args() {
	case $1 in
	portico-full) printf '%s\n' -H "Host: benchfull.localhost" -H "Authorization: Bearer $TOKEN" \
		-H "x-nhn-apikey: $APIKEY" -H "Origin: https://shop.example.com" ;;
	portico-wasm) printf '%s\n' -H "Host: benchwasm.localhost" ;;
	portico-routes1) printf '%s\n' -H "Host: benchbare.localhost" -s "$WORK/spread.lua" ;;
	portico-routes1000) printf '%s\n' -H "Host: benchroutes.localhost" -s "$WORK/spread.lua" ;;
	portico-deploy) printf '%s\n' -H "Host: benchdeploy.localhost" ;;
	*) printf '%s\n' -H "Host: benchbare.localhost" ;;
	esac
}
# target_headers NAME: the target's request headers as "-H value" arguments (curl and bench/loadgen take them too;
# wrk's Lua script is left out).
target_headers() {
	local args=() i
	mapfile -t args < <(target_args "$1")
	for ((i = 0; i < ${#args[@]}; i += 2)); do
		if [[ ${args[i]} == -H ]]; then printf '%s\n' -H "${args[i + 1]}"; fi
	done
}
target_pid() { case $1 in direct) echo "${PID_OF[backend]}" ;; portico-*) echo "${PID_OF[portico]}" ;; *) echo "${PID_OF[$1]}" ;; esac; }

# ---- check every target answers as expected before measuring anything --------------------------------------------
curl_target() { # NAME PATH → headers and body
	local name=$1 path=$2 hs=() url
	mapfile -t hs < <(target_headers "$name")
	url=$(target_url "$name")
	url=${url%/items/1}
	curl -s -i --max-time 5 "${hs[@]}" "$url$path"
}
for t in $TARGETS; do
	path=/items/1
	[[ $t == portico-routes* ]] && path=/r0999/items/1
	resp=$(curl_target "$t" "$path" | tr -d '\r')
	grep -q '^HTTP/1.1 200' <<<"$resp" || die "$t: expected 200, got: $(head -1 <<<"$resp")"
	grep -q 'hello from the bench backend' <<<"$resp" || die "$t: unexpected body"
	case $t in
	portico-full)
		grep -qi '^access-control-allow-origin: https://shop.example.com' <<<"$resp" || die "portico-full: no CORS header"
		grep -qi '^cache-control: no-store' <<<"$resp" || die "portico-full: response-header plugin did not run"
		grep -qi '^ratelimit-limit: 100000' <<<"$resp" || die "portico-full: rate limit not in effect"
		code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: benchfull.localhost' "http://127.0.0.1:$PORTICO_PORT/items/1")
		[[ $code == 401 ]] || die "portico-full: a request without credentials got $code, not 401"
		code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: benchfull.localhost' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORTICO_PORT/items/1")
		[[ $code == 403 || $code == 401 ]] || die "portico-full: a request without the API key got $code"
		;;
	portico-wasm) # the backend echoes the field the plugin set only under /__echo/ (not in the measured runs)
		curl_target "$t" /__echo/items/1 | tr -d '\r' | grep -qi '^x-echo-from-wasm: yes' ||
			die "portico-wasm: the backend did not see x-from-wasm" ;;
	esac
done
log "every target answers: $TARGETS"

# ---- measuring -----------------------------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
tree() { echo "$1"; pgrep -P "$1" || true; }
cpu_ticks() { # CPU ticks (user+system) of PID and its children
	local sum=0 p v
	for p in $(tree "$1"); do
		v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || v=0
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}
rss_kib() {
	local sum=0 p v
	for p in $(tree "$1"); do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || v=0
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}
backend_conns() { curl -s --max-time 2 "http://127.0.0.1:$BACKEND_PORT/__conns"; }
# steal_ticks: the hypervisor's steal time of the machine's CPUs so far (/proc/stat, 8th field of "cpu"): time the
# VM was ready to run but another tenant had the physical CPU. A run with a lot of it measured the neighbours.
steal_ticks() { awk '$1 == "cpu" {print $9; exit}' /proc/stat; }
to_us() { # wrk's 1.23ms / 456.00us / 1.02s → µs
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /m$/) print n * 60e6; else if (v ~ /s$/) print n * 1e6; else print n }'
}

ROWS=$WORK/rounds.tsv
printf 'round\ttarget\tscenario\trps\tp50us\tp99us\tcpu_us_per_req\tutil\trss_kib\tnon2xx\tsockerr\tupconns\trequests\tsteal\tbackend_us_per_req\n' >"$ROWS"
DEPLOYS_OK=0 DEPLOYS_FAILED=0

measure() { # ROUND TARGET
	local round=$1 t=$2 args=() pid url out c0 c1 k0 k1 t0 t1 deployer=""
	mapfile -t args < <(target_args "$t")
	url=$(target_url "$t")
	pid=$(target_pid "$t")
	out=$WORK/wrk-$round-$t.txt
	if ((WARMUP > 0)); then
		taskset -c "$LOAD_CPU" timeout $((WARMUP + 10)) wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "${args[@]}" "$url" >/dev/null
	fi
	if [[ $t == portico-deploy ]]; then
		(
			end=$((SECONDS + DURATION))
			while ((SECONDS < end)); do
				if pcli deploy bench-deploy default --no-apply -m "under load" >/dev/null 2>&1; then echo ok; else echo failed; fi
				sleep 1
			done
		) >"$WORK/deploys-$round.txt" &
		deployer=$!
		PIDS+=("$deployer")
	fi
	c0=$(backend_conns)
	k0=$(cpu_ticks "$pid")
	b0=$(cpu_ticks "${PID_OF[backend]}")
	s0=$(steal_ticks)
	t0=$(date +%s.%N)
	local perfpid=""
	if [[ ${PERF:-0} == 1 && $t == portico-* ]]; then
		taskset -c "$LOAD_CPU" perf record -q -F 1999 -g -p "$pid" -o "$WORK/perf-$round-$t.data" -- sleep "$DURATION" 2>/dev/null &
		perfpid=$!
		PIDS+=("$perfpid")
	fi
	taskset -c "$LOAD_CPU" timeout $((DURATION + 15)) wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "${args[@]}" "$url" >"$out"
	if [[ -n $perfpid ]]; then
		wait "$perfpid" || true
		mkdir -p "$(dirname "$OUT")/profiles"
		perf report -q -i "$WORK/perf-$round-$t.data" --stdio --no-children --sort symbol --percent-limit 0.7 -g none \
			2>/dev/null | sed '/^$/d' | head -60 >"$(dirname "$OUT")/profiles/$t-self.txt" || true
		perf report -q -i "$WORK/perf-$round-$t.data" --stdio --children --sort symbol --percent-limit 3 -g none \
			2>/dev/null | sed '/^$/d' | head -80 >"$(dirname "$OUT")/profiles/$t-children.txt" || true
	fi
	t1=$(date +%s.%N)
	s1=$(steal_ticks)
	k1=$(cpu_ticks "$pid")
	b1=$(cpu_ticks "${PID_OF[backend]}")
	c1=$(backend_conns)
	if [[ -n $deployer ]]; then
		wait "$deployer" || true
		DEPLOYS_OK=$((DEPLOYS_OK + $(grep -c '^ok' "$WORK/deploys-$round.txt" || true)))
		DEPLOYS_FAILED=$((DEPLOYS_FAILED + $(grep -c '^failed' "$WORK/deploys-$round.txt" || true)))
	fi
	local rps p50 p99 reqs non2xx sockerr cpu_us util rss
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")
	p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
	reqs=$(awk '/requests in/ {print $1}' "$out")
	non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2}' "$out")
	sockerr=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")
	[[ -n $rps && -n $reqs && $reqs != 0 ]] || die "$t: no result from wrk (see $out, KEEP=1)"
	cpu_us=$(awk -v k=$((k1 - k0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.2f", k / hz * 1e6 / n }')
	# The backend does the same work for every request whatever is in front of it: its CPU time per request is the
	# machine's speed during this run (it drifts, see docs/performance.md), measured on the proxy's own core.
	backend_us=$(awk -v k=$((b1 - b0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.2f", k / hz * 1e6 / n }')
	util=$(awk -v k=$((k1 - k0)) -v hz="$CLK_TCK" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", k / hz / (b - a) }')
	rss=$(rss_kib "$pid")
	# steal as a share of the machine's CPU time during the run (all CPUs: the proxy's core and wrk's)
	steal=$(awk -v k=$((s1 - s0)) -v hz="$CLK_TCK" -v a="$t0" -v b="$t1" -v n="$(nproc)" 'BEGIN { printf "%.3f", k / hz / (b - a) / n }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$t" "-" "$rps" "$p50" "$p99" "$cpu_us" \
		"$util" "$rss" "${non2xx:-0}" "${sockerr:-0}" $((c1 - c0 - 1)) "$reqs" "$steal" "$backend_us" >>"$ROWS"
	log "round $round $(printf '%-19s' "$t") $(printf '%8.0f' "$rps") req/s  p50 ${p50}µs  p99 ${p99}µs  cpu ${cpu_us}µs/req  util $util  steal $steal  backend ${backend_us}µs/req  rss $((rss / 1024))MiB  upstream conns $((c1 - c0 - 1))${non2xx:+  NON-2XX $non2xx}"
}

read -r -a LIST <<<"$(for t in $ALL_TARGETS; do want "$t" && printf '%s ' "$t"; done)"
N=${#LIST[@]}
per_run=$((WARMUP + DURATION + 1))
log "$ROUNDS rounds × $N targets × ${per_run}s ≈ $((ROUNDS * N * per_run))s; $(left)s left of the ${TIME_LIMIT}s limit"
for ((r = 1; r <= ROUNDS; r++)); do
	for ((i = 0; i < N; i++)); do
		# Serpentine order: forward in odd rounds, backward in even ones, so no target always runs first or last and
		# a slow drift of the machine's speed (it has one, over tens of seconds, which steal does not show: see
		# docs/performance.md) touches both runs of a compared pair alike.
		t=${LIST[r % 2 ? i : N - 1 - i]}
		if (($(left) < per_run + 30)); then
			log "not enough time left for round $r $t: stopping the measurements"
			break 2
		fi
		measure "$r" "$t"
	done
done

# ---- paired runs: the ratios between Portico's own scenarios -----------------------------------------------------
# The machine's speed moves within seconds, by up to 2× (see docs/performance.md), so a ratio of two 4-second runs a
# few seconds apart carries that movement. Portico serves every scenario from one process on one port, so bench/
# loadgen can alternate between the two targets of a pair on the same connections, closed loop as wrk: PAIR_PHASE
# (250 ms) sending to A, then to B, in A B B A quads, for PAIR_DURATION seconds; a drift slower than a quad touches
# both alike. One row per quad and target goes to the paired file; the report divides the mean RPS of A's phases by
# B's, and shows the spread of the per-quad ratios.
PAIRED=$WORK/paired.tsv
printf 'round\tpair\ttarget\trps\trequests\tsteal\n' >"$PAIRED"
PAIRS=${PAIRS-portico-full:portico-bare portico-wasm:portico-bare portico-routes1000:portico-routes1} # "" skips
PAIR_DURATION=${PAIR_DURATION:-40}
PAIR_PHASE=${PAIR_PHASE:-250ms}
# loadgen_target NAME PREFIX: bench/loadgen's arguments for a target (PREFIX "" for the first, "b-" for the second):
# its URL, its headers and, for the route scenarios, the paths spread.lua spreads wrk's requests over.
loadgen_target() {
	local hs=() i
	printf '%s\n' "-$2url" "$(target_url "$1")"
	mapfile -t hs < <(target_headers "$1")
	for ((i = 1; i < ${#hs[@]}; i += 2)); do printf '%s\n' "-$2H" "${hs[i]}"; done
	[[ $1 == portico-routes* ]] && printf '%s\n' "-$2spread" "$ROUTES"
	return 0
}
for pair in $PAIRS; do
	a=${pair%%:*} b=${pair#*:}
	want "$a" && want "$b" || continue
	if (($(left) < PAIR_DURATION + WARMUP + 60)); then
		log "not enough time left for the paired runs of $a and $b: skipping them"
		continue
	fi
	log "paired runs: $a and $b alternating every $PAIR_PHASE (A B B A) for ${PAIR_DURATION} s"
	mapfile -t args < <(loadgen_target "$a" "" && loadgen_target "$b" b-)
	s0=$(steal_ticks) t0=$(date +%s.%N)
	taskset -c "$LOAD_CPU" timeout $((PAIR_DURATION + WARMUP + 30)) "$BIN/loadgen" "${args[@]}" -phase "$PAIR_PHASE" \
		-duration "${PAIR_DURATION}s" -warmup "${WARMUP}s" -conns "$CONNS" >"$WORK/paired.out"
	s1=$(steal_ticks) t1=$(date +%s.%N)
	steal=$(awk -v k=$((s1 - s0)) -v hz="$CLK_TCK" -v a="$t0" -v b="$t1" -v n="$(nproc)" 'BEGIN { printf "%.3f", k / hz / (b - a) / n }')
	# "quad=Q a_requests=N a_rps=R b_requests=N b_rps=R" → one row per target
	awk -v pair="$pair" -v a="$a" -v b="$b" -v steal="$steal" '/^quad=/ {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%s\t%s\t%s\t%s\t%s\t%s\n", v["quad"], pair, a, v["a_rps"], v["a_requests"], steal
		printf "%s\t%s\t%s\t%s\t%s\t%s\n", v["quad"], pair, b, v["b_rps"], v["b_requests"], steal
	}' "$WORK/paired.out" >>"$PAIRED"
	summary=$(tail -1 "$WORK/paired.out")
	[[ $summary == *" a_errors=0 b_errors=0 "* ]] || log "WARNING: the paired runs of $a and $b had errors"
	log "paired runs: $a / $b: $summary"
done

# ---- latency at the same load ----------------------------------------------------------------------------------
# wrk's closed loop keeps 64 requests in flight, so its latency is 64 / RPS: a mirror of throughput. The latency
# targets compare proxies at the same offered load instead: bench/loadgen sends at a fixed rate (open loop), a
# fraction of nginx's median saturated RPS, to each target in interleaved rounds. A run in which more than 5 % of the
# requests were sent over 1 ms behind schedule did not hold the rate and is excluded by the report.
FIXED=$WORK/fixed.tsv
printf 'round\ttarget\trate\trequests\terrors\tlate\tp50us\tp90us\tp99us\tp999us\tmaxus\tsteal\tbackend_us_per_req\n' >"$FIXED"
FIXED_TARGETS=${FIXED_TARGETS-fasthttp nginx portico-bare} # set but empty: no latency phase
FIXED_ROUNDS=${FIXED_ROUNDS:-5}
FIXED_DURATION=${FIXED_DURATION:-3}
# Two loads: at half of nginx's saturated RPS a Go proxy sharing the core with the backend is already near its own
# saturation (below saturation every request pays its own wake-ups, see docs/performance.md), so a quarter is
# measured too. LOAD_FRACTION (one value) is the older name of LOAD_FRACTIONS.
LOAD_FRACTIONS=${LOAD_FRACTIONS:-${LOAD_FRACTION:-0.25 0.5}}
read -r -a FLIST <<<"$(for t in $FIXED_TARGETS; do want "$t" && printf '%s ' "$t"; done)"
base=nginx
want nginx || base=portico-bare
for fraction in $LOAD_FRACTIONS; do
RATE=$(awk -F'\t' -v t="$base" '$2 == t {print $4}' "$ROWS" | sort -n |
	awk -v f="$fraction" '{v[NR] = $1} END { if (NR == 0) exit; m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d", m * f }')
if ((${#FLIST[@]} > 0)) && [[ -n $RATE && $RATE -gt 0 ]]; then
	FN=${#FLIST[@]}
	log "latency at the same load: $RATE req/s (${fraction} × $base's median), $FIXED_ROUNDS rounds × ${FLIST[*]}"
	for ((r = 1; r <= FIXED_ROUNDS; r++)); do
		for ((i = 0; i < FN; i++)); do
			t=${FLIST[r % 2 ? i : FN - 1 - i]} # serpentine, as above
			if (($(left) < FIXED_DURATION + 30)); then
				log "not enough time left for the fixed-load round $r $t: stopping"
				break 2
			fi
			mapfile -t hs < <(target_headers "$t")
			s0=$(steal_ticks) t0=$(date +%s.%N) b0=$(cpu_ticks "${PID_OF[backend]}")
			line=$(taskset -c "$LOAD_CPU" timeout $((FIXED_DURATION + 20)) "$BIN/loadgen" -url "$(target_url "$t")" \
				-rate "$RATE" -duration "${FIXED_DURATION}s" -warmup 1s -conns "$CONNS" "${hs[@]}")
			s1=$(steal_ticks) t1=$(date +%s.%N) b1=$(cpu_ticks "${PID_OF[backend]}")
			steal=$(awk -v k=$((s1 - s0)) -v hz="$CLK_TCK" -v a="$t0" -v b="$t1" -v n="$(nproc)" 'BEGIN { printf "%.3f", k / hz / (b - a) / n }')
			kv() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$line"; }
			# the backend's CPU per request (the machine's speed, as above), over the warm-up second too, at the same rate
			backend_us=$(awk -v k=$((b1 - b0)) -v hz="$CLK_TCK" -v n="$(kv requests)" -v d="$FIXED_DURATION" \
				'BEGIN { if (n > 0) printf "%.2f", k / hz * 1e6 / (n * (d + 1) / d); else print 0 }')
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$t" "$(kv rate)" "$(kv requests)" "$(kv errors)" \
				"$(kv late)" "$(kv p50)" "$(kv p90)" "$(kv p99)" "$(kv p999)" "$(kv max)" "$steal" "$backend_us" >>"$FIXED"
			log "fixed load round $r $(printf '%-14s' "$t") $line steal=$steal backend=${backend_us}µs/req"
		done
	done
fi
done

# ---- RSS with the demo configuration -----------------------------------------------------------------------------
DEMO_RSS=0
if [[ ${DEMO:-1} == 1 ]] && (($(left) > 40)); then
	mkdir -p "$WORK/demo"
	start demo "$PROXY_CPU" "$BIN/portico" serve --demo --data "$WORK/demo" --listen "127.0.0.1:$DEMO_PORT" \
		--admin-listen "127.0.0.1:$DEMO_ADMIN_PORT" --demo-backend "127.0.0.1:$DEMO_BACKEND_PORT" --log-level error
	wait_port $DEMO_PORT
	sleep 1
	taskset -c "$LOAD_CPU" timeout 30 wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" -H "Host: demo0001.localhost" \
		"http://127.0.0.1:$DEMO_PORT/items/1" >"$WORK/wrk-demo.txt"
	DEMO_RSS=$(rss_kib "${PID_OF[demo]}")
	log "portico serve --demo: RSS $((DEMO_RSS / 1024)) MiB after ${DURATION}s of load ($(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-demo.txt") req/s)"
fi

# ---- report --------------------------------------------------------------------------------------------------------
ver() { "$@" 2>&1 | head -1 || true; }
{
	echo "# Load benchmark — latest run"
	echo
	echo "Generated by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $(nproc) × $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)."
	echo "Each proxy and the backend share core $PROXY_CPU (\`taskset\`); wrk runs on core $LOAD_CPU with $THREADS thread(s) and $CONNS connections."
	echo "$ROUNDS interleaved rounds (serpentine order: forward, then backward) of ${WARMUP} s warm-up + ${DURATION} s measured per target; medians over rounds, ratios computed inside each round."
	echo
	echo "Versions: Portico $(cd "$ROOT" && git describe --tags --always --dirty 2>/dev/null || echo dev) ($(go version | awk '{print $3}')),"
	have nginx && echo "$(ver nginx -v)," || true
	have haproxy && echo "$(ver haproxy -v | awk '{print "HAProxy", $3}')," || true
	have caddy && echo "Caddy $(ver caddy version | awk '{print $1}')," || true
	echo "$(ver wrk -v | awk '{print $1, $2}')."
	if ((${#SKIPPED[@]} > 0)); then echo; echo "Skipped: ${SKIPPED[*]}."; fi
} >"$WORK/meta.md"
mkdir -p "$(dirname "$OUT")"
"$BIN/report" -in "$ROWS" -fixed "$FIXED" -paired "$PAIRED" -meta "$WORK/meta.md" -demo-rss-kib "$DEMO_RSS" -deploys "$DEPLOYS_OK/$DEPLOYS_FAILED" >"$WORK/latest.md"
cp "$WORK/latest.md" "$OUT"
cp "$ROWS" "${OUT%.md}.tsv"
cp "$FIXED" "${OUT%.md}-fixed.tsv"
cp "$PAIRED" "${OUT%.md}-paired.tsv"
cat "$OUT"
log "written $OUT (raw rounds: ${OUT%.md}.tsv)"
