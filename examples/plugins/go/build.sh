#!/bin/sh
# Builds the example plugins into <name>/<name>.wasm: every directory with a main.go, or the names given.
# Needs only the Go toolchain (1.24 or later). -trimpath makes the output, and so its SHA-256 digest, independent
# of where the repository is checked out.
#
#   ./build.sh                  # all examples
#   ./build.sh add-header       # one
set -eu
cd "$(dirname "$0")"
if [ "$#" -eq 0 ]; then
	set -- $(for d in */; do [ -f "${d}main.go" ] && basename "$d"; done)
fi
for name in "$@"; do
	(cd "$name" && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o "$name.wasm" .)
	echo "$name/$name.wasm"
done
