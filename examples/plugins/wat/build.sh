#!/usr/bin/env bash
# Builds every *.wat in this directory into a .wasm beside it with wabt's wat2wasm (apt-get install -y wabt).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for wat in "$here"/*.wat; do
    (set -x; wat2wasm "$wat" -o "${wat%.wat}.wasm")
done
