// Package portico holds files of this repository that the binary carries: the example plugins and guest SDKs that
// `portico plugin new` copies into a new plugin project. (The Go SDK is its own module and cannot be embedded; the
// scaffold points a new Go project at it instead.)
package portico

import "embed"

// PluginFiles are the C and AssemblyScript example plugins and SDKs.
//
//go:embed examples/plugins/c/add-header/add-header.c examples/plugins/c/add-header/build.sh
//go:embed examples/plugins/assemblyscript/add-header/assembly/index.ts
//go:embed examples/plugins/assemblyscript/add-header/build.sh examples/plugins/assemblyscript/add-header/.npmrc
//go:embed wasm-sdk/c/portico.h
//go:embed wasm-sdk/assemblyscript/package.json wasm-sdk/assemblyscript/assembly
var PluginFiles embed.FS
