#!/usr/bin/env bash
# Builds add-header.wasm from add-header.c with clang's wasm32-wasi target and wasi-libc.
#
# Debian/Ubuntu: apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32
# Debian's clang finds wasi-libc (/usr/include/wasm32-wasi, /usr/lib/wasm32-wasi) on its own; with wasi-sdk or
# another layout, point WASI_SYSROOT at the sysroot (e.g. WASI_SYSROOT=/opt/wasi-sdk/share/wasi-sysroot).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
CC="${CC:-clang}"

sysroot=()
if [[ -n "${WASI_SYSROOT:-}" ]]; then sysroot=(--sysroot="$WASI_SYSROOT"); fi

# -mexec-model=reactor: a library-style module; wasi-libc's crt1-reactor.o exports _initialize, which runs the
# constructors (the config is parsed there). -Wl,--strip-all drops names and debug info to keep the module small.
set -x
"$CC" --target=wasm32-wasi "${sysroot[@]}" -mexec-model=reactor -O2 -Wall -Wextra -Werror \
    -I ../../../../wasm-sdk/c -Wl,--strip-all -o add-header.wasm add-header.c
