#!/usr/bin/env bash
# Builds add-header.wasm with the AssemblyScript compiler (asc), installing it from the npm registry on first use.
#
# Needs Node.js >= 20 and npm (AssemblyScript 0.28 refuses older Node).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if [[ ! -x node_modules/.bin/asc || package.json -nt node_modules/.package-lock.json ]]; then
    (set -x; npm install --no-audit --no-fund --no-package-lock)
fi

# --runtime incremental: a garbage-collected heap. A plugin instance serves many requests, so the SDK's per-request
#   strings must be reclaimed; `stub` never frees and would grow until the host's memory cap. The module's start
#   function only sets up the collector (no host calls), so it needs no _initialize.
# --use abort=…/handleAbort: AssemblyScript's abort() goes to the SDK, which logs it through http_handler.log and
#   traps, instead of importing env.abort (which a Portico host does not provide).
set -x
node_modules/.bin/asc assembly/index.ts -o add-header.wasm \
    --runtime incremental -O3 \
    --use abort=~lib/@portico/assemblyscript-sdk/assembly/index/handleAbort
