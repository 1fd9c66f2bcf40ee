#!/usr/bin/env bash
# Builds add-header.wasm with rustc alone: no cargo, no crates, no network.
#
# Needs a rustc whose sysroot has the standard library for WASI preview 1:
#   Debian/Ubuntu: apt-get install -y rustc libstd-rust-dev-wasm32   (rustc 1.63, target wasm32-wasi)
#   rustup:        rustup target add wasm32-wasip1                   (rustc >= 1.78; wasm32-wasi was removed in 1.84)
# RUSTC picks the compiler; by default the first of rustc on PATH and /usr/bin/rustc that has such a target.
# (`cargo build --release --target <target>` works too, see Cargo.toml; it leaves a target/ directory.)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# wasm_target prints the WASI target the given rustc has a standard library for, or fails.
wasm_target() {
    local sysroot
    sysroot="$("$1" --print sysroot 2>/dev/null)" || return 1
    for t in wasm32-wasip1 wasm32-wasi; do
        if compgen -G "$sysroot/lib/rustlib/$t/lib/libstd-*.rlib" >/dev/null; then
            echo "$t"
            return 0
        fi
    done
    return 1
}

rustc_bin="" target=""
for candidate in ${RUSTC:-} rustc /usr/bin/rustc; do
    if command -v "$candidate" >/dev/null && target="$(wasm_target "$candidate")"; then
        rustc_bin="$candidate"
        break
    fi
done
if [[ -z "$rustc_bin" ]]; then
    echo "build.sh: no rustc with a wasm32-wasi/wasm32-wasip1 standard library;" \
        "install rustc + libstd-rust-dev-wasm32 (Debian) or run: rustup target add wasm32-wasip1" >&2
    exit 1
fi

# cdylib: a library module whose #[no_mangle] functions are exported. opt-level=s, LTO and panic=abort keep it small.
# Relative paths keep the checkout's location out of the module (panic messages carry source paths), so its SHA-256
# digest is the same wherever it is built.
cd "$here"
set -x
"$rustc_bin" --edition 2021 --crate-type cdylib --crate-name add_header --target "$target" \
    -C opt-level=s -C lto -C panic=abort -C strip=symbols \
    -o add-header.wasm src/lib.rs
