#!/usr/bin/env bash
# Builds every non-Go example plugin: C, WAT, AssemblyScript and Rust. Each .wasm lands beside its source. Then it
# checks each module against the ABI with wasm-objdump: imports only from http_handler / portico (with the exact
# signatures) / wasi_snapshot_preview1, exports memory, handle_request and handle_response. It also builds the C and
# AssemblyScript SDKs' abi-check modules (wasm-sdk/*/test), which import every host function, and checks those, so
# a wrong declaration in an SDK fails here.
#
#   examples/plugins/build-all.sh              build all four; exit 1 if any toolchain is missing or a build fails
#   examples/plugins/build-all.sh c wat        build only these (c, wat, assemblyscript, rust)
#   SKIP_MISSING=1 examples/plugins/build-all.sh   a missing toolchain is reported and skipped, not a failure
#
# Toolchains (Debian 12):
#   c               apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32
#   wat, checks     apt-get install -y wabt   (wat2wasm, wasm-objdump)
#   assemblyscript  Node.js >= 20 and npm; `npm install` fetches assemblyscript (pinned in package.json)
#   rust            apt-get install -y rustc libstd-rust-dev-wasm32 lld   (or rustup's wasm32-wasip1 target)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

langs=("$@")
if [[ ${#langs[@]} -eq 0 ]]; then langs=(c wat assemblyscript rust); fi

declare -a built=() missing=() failed=()

# have_* print why a toolchain is unusable, or nothing.
have_c() {
    command -v "${CC:-clang}" >/dev/null || { echo "clang not found"; return; }
    local probe
    probe="$(mktemp -d)"
    printf 'int f(void){return 0;}\n' >"$probe/t.c"
    local sysroot=()
    if [[ -n "${WASI_SYSROOT:-}" ]]; then sysroot=(--sysroot="$WASI_SYSROOT"); fi
    if ! "${CC:-clang}" --target=wasm32-wasi "${sysroot[@]}" -mexec-model=reactor -O2 -o "$probe/t.wasm" "$probe/t.c" \
        >"$probe/log" 2>&1; then
        echo "clang cannot link for wasm32-wasi (missing lld, wasi-libc or libclang-rt-14-dev-wasm32?): $(head -c 300 "$probe/log")"
    fi
    rm -rf "$probe"
}
have_wat() { command -v wat2wasm >/dev/null || echo "wat2wasm (wabt) not found"; }
have_assemblyscript() {
    command -v node >/dev/null || { echo "node not found"; return; }
    command -v npm >/dev/null || { echo "npm not found"; return; }
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    if ((major < 20)); then echo "Node.js $(node --version) is too old: AssemblyScript 0.28 needs >= 20"; fi
}
have_rust() {
    local r sysroot
    for r in ${RUSTC:-} rustc /usr/bin/rustc; do
        command -v "$r" >/dev/null || continue
        sysroot="$("$r" --print sysroot 2>/dev/null)" || continue
        if compgen -G "$sysroot/lib/rustlib/wasm32-wasi*/lib/libstd-*.rlib" >/dev/null; then return; fi
    done
    echo "no rustc with the wasm32-wasi/wasm32-wasip1 standard library"
}

# ---- ABI check ---------------------------------------------------------------------------------------------------

# The ABI's import signatures as wasm-objdump prints them (wasm-sdk/ABI.md; runtime/wasmhost/hostfuncs.go).
abi_signatures='
http_handler.enable_features (i32) -> i32
http_handler.get_config (i32, i32) -> i32
http_handler.log_enabled (i32) -> i32
http_handler.log (i32, i32, i32) -> nil
http_handler.get_method (i32, i32) -> i32
http_handler.set_method (i32, i32) -> nil
http_handler.get_uri (i32, i32) -> i32
http_handler.set_uri (i32, i32) -> nil
http_handler.get_protocol_version (i32, i32) -> i32
http_handler.get_header_names (i32, i32, i32) -> i64
http_handler.get_header_values (i32, i32, i32, i32, i32) -> i64
http_handler.set_header_value (i32, i32, i32, i32, i32) -> nil
http_handler.add_header_value (i32, i32, i32, i32, i32) -> nil
http_handler.remove_header (i32, i32, i32) -> nil
http_handler.read_body (i32, i32, i32) -> i64
http_handler.write_body (i32, i32, i32) -> nil
http_handler.get_status_code () -> i32
http_handler.set_status_code (i32) -> nil
http_handler.get_source_addr (i32, i32) -> i32
portico.version () -> i32
portico.get_context_var (i32, i32, i32, i32) -> i64
portico.kv_get (i32, i32, i32, i32) -> i64
portico.kv_set (i32, i32, i32, i32, i64) -> nil
portico.counter_incr (i32, i32, i64, i64) -> i64
portico.http_call (i32, i32, i32, i32, i32, i32, i32, i32, i32) -> i32
portico.http_call_response_headers (i32, i32) -> i32
portico.http_call_response_body (i32, i32) -> i32
portico.now_unix_nano () -> i64
'

# wasm_interface prints "import MODULE.NAME SIGNATURE" and "export NAME KIND SIGNATURE" lines for a module.
wasm_interface() {
    wasm-objdump -x "$1" | awk '
        /^[A-Z][A-Za-z]*(\[[0-9]+\])?:/ { sec = $1; sub(/[\[:].*/, "", sec); next }
        sec == "Type" && match($0, /type\[[0-9]+\] /) {
            types[substr($0, RSTART + 5, RLENGTH - 7)] = substr($0, RSTART + RLENGTH)
        }
        sec == "Import" {
            name = $0; sub(/.*<- /, "", name)
            if ($2 ~ /^func\[/) {
                sig = $3; sub(/sig=/, "", sig)
                print "import " name " " types[sig]
            } else {
                kind = $2; sub(/\[.*/, "", kind)
                print "import " name " " kind
            }
        }
        sec == "Function" && $2 ~ /^func\[/ {
            idx = $2; gsub(/[^0-9]/, "", idx); sig = $3; sub(/sig=/, "", sig); funcsig[idx] = types[sig]
        }
        sec == "Export" {
            name = $NF; gsub(/"/, "", name); kind = $2; idx = kind; sub(/\[.*/, "", kind); gsub(/[^0-9]/, "", idx)
            print "export " name " " kind " " (kind == "func" ? funcsig[idx] : "")
        }'
}

# check_abi fails (printing why) unless the module imports only the ABI's functions with their exact signatures
# (plus WASI) and exports memory, handle_request and handle_response with theirs. With require_all, it must import
# every ABI function (the SDKs' abi-check modules).
check_abi() {
    local file="$1" require_all="${2:-}" iface problems=() line module
    iface="$(wasm_interface "$file")" || { echo "wasm-objdump failed on $file"; return 1; }
    while read -r kind name sig; do
        [[ "$kind" == import ]] || continue
        module="${name%%.*}"
        case "$module" in
        wasi_snapshot_preview1) [[ "$sig" == func* || "$sig" == \(* ]] || problems+=("imports $name ($sig)") ;;
        http_handler | portico)
            line="$(grep -F -x -- "$name $sig" <<<"$abi_signatures")" ||
                problems+=("imports $name $sig, not the ABI's $(grep -F -- "$name " <<<"$abi_signatures" || echo '(no such function)')")
            ;;
        *) problems+=("imports $name $sig from module $module, which no Portico host provides") ;;
        esac
    done <<<"$iface"
    grep -q -x 'export memory memory ' <<<"$iface" || problems+=("does not export memory")
    grep -q -x 'export handle_request func () -> i64' <<<"$iface" || problems+=("does not export handle_request () -> i64")
    grep -q -x 'export handle_response func (i32, i32) -> nil' <<<"$iface" ||
        problems+=("does not export handle_response (i32, i32) -> nil")
    if [[ -n "$require_all" ]]; then
        while read -r name sig; do
            [[ -n "$name" ]] || continue
            grep -q -F -x "import $name $sig" <<<"$iface" || problems+=("does not import $name $sig")
        done <<<"$abi_signatures"
    fi
    if [[ ${#problems[@]} -gt 0 ]]; then
        printf '   %s\n' "${problems[@]}"
        return 1
    fi
    printf '   %s\n' "$(grep '^import' <<<"$iface" | awk '{print $2}' | tr '\n' ' ')"
}

# ---- toolchains -------------------------------------------------------------------------------------------------

hint() {
    case "$1" in
    c) echo "apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32" ;;
    wat) echo "apt-get install -y wabt" ;;
    assemblyscript) echo "install Node.js >= 20 with npm" ;;
    rust) echo "apt-get install -y rustc libstd-rust-dev-wasm32 lld  (or: rustup target add wasm32-wasip1)" ;;
    esac
}

scripts() {
    case "$1" in
    c) echo "$here/c/add-header/build.sh" ;;
    wat) echo "$here/wat/build.sh" ;;
    assemblyscript) echo "$here/assemblyscript/add-header/build.sh" ;;
    rust) echo "$here/rust/add-header/build.sh" ;;
    esac
}

outputs() {
    case "$1" in
    c) echo "$here/c/add-header/add-header.wasm" ;;
    wat) echo "$here/wat/add-header.wasm $here/wat/deny.wasm" ;;
    assemblyscript) echo "$here/assemblyscript/add-header/add-header.wasm" ;;
    rust) echo "$here/rust/add-header/add-header.wasm" ;;
    esac
}

# sdk_check builds the language's SDK abi-check module into $2 (nothing for languages without one).
sdk_root="$here/../../wasm-sdk"
sdk_check() {
    case "$1" in
    c)
        local sysroot=()
        if [[ -n "${WASI_SYSROOT:-}" ]]; then sysroot=(--sysroot="$WASI_SYSROOT"); fi
        "${CC:-clang}" --target=wasm32-wasi "${sysroot[@]}" -mexec-model=reactor -O2 -Wall -Wextra -Werror \
            -I "$sdk_root/c" -o "$2" "$sdk_root/c/test/abi-check.c"
        ;;
    assemblyscript)
        # the example's node_modules has the pinned compiler
        (cd "$sdk_root/assemblyscript" &&
            "$here/assemblyscript/add-header/node_modules/.bin/asc" test/abi-check.ts -o "$2" \
                --runtime incremental -O3 --use abort=assembly/index/handleAbort)
        ;;
    *) return 2 ;;
    esac
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
can_check=1
if ! command -v wasm-objdump >/dev/null; then
    can_check=""
    echo "== checks: TOOLCHAIN MISSING: wasm-objdump (wabt) not found; modules are built but not checked" >&2
    echo "   install: apt-get install -y wabt" >&2
    missing+=(wabt)
fi

for lang in "${langs[@]}"; do
    case "$lang" in c | wat | assemblyscript | rust) ;; *)
        echo "build-all.sh: unknown example language '$lang' (want c, wat, assemblyscript, rust)" >&2
        exit 2
        ;;
    esac
    why="$("have_$lang")"
    if [[ -n "$why" ]]; then
        echo "== $lang: TOOLCHAIN MISSING: $why" >&2
        echo "   install: $(hint "$lang")" >&2
        missing+=("$lang")
        continue
    fi
    script="$(scripts "$lang")"
    echo "== $lang: $script"
    if ! bash "$script"; then
        echo "== $lang: BUILD FAILED: $script" >&2
        failed+=("${script#"$here"/}")
        continue
    fi
    [[ -n "$can_check" ]] || { built+=("$lang (not checked)"); continue; }
    for wasm in $(outputs "$lang"); do
        echo "== $lang: ABI check ${wasm#"$here"/} ($(wc -c <"$wasm") bytes)"
        if check_abi "$wasm"; then
            built+=("${wasm#"$here"/}")
        else
            echo "== $lang: ABI CHECK FAILED: $wasm" >&2
            failed+=("${wasm#"$here"/}")
        fi
    done
    if sdk_check "$lang" "$tmp/abi-check-$lang.wasm" 2>"$tmp/sdk.log"; then
        echo "== $lang: SDK ABI check (every host function)"
        check_abi "$tmp/abi-check-$lang.wasm" all || {
            echo "== $lang: SDK ABI CHECK FAILED" >&2
            failed+=("$lang SDK")
        }
    elif [[ $? -ne 2 ]]; then
        cat "$tmp/sdk.log" >&2
        echo "== $lang: SDK abi-check BUILD FAILED" >&2
        failed+=("$lang SDK abi-check")
    fi
done

echo
echo "built and checked: ${built[*]:-none}"
if [[ ${#missing[@]} -gt 0 ]]; then echo "missing toolchains: ${missing[*]}"; fi
if [[ ${#failed[@]} -gt 0 ]]; then echo "failed:  ${failed[*]}"; fi
if [[ ${#failed[@]} -gt 0 ]]; then exit 1; fi
if [[ ${#missing[@]} -gt 0 && -z "${SKIP_MISSING:-}" ]]; then exit 1; fi
exit 0
