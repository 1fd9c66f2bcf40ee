// A plugin written in Go (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared): a reactor whose _initialize starts the Go
// runtime. It rewrites a request header (what the benchmark measures); for the URI /hash it also puts the runtime
// to work, allocating and hashing the URI into a response header.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"unsafe"
)

//go:wasmimport http_handler set_header_value
func setHeaderValue(kind uint32, name unsafe.Pointer, nameLen uint32, value unsafe.Pointer, valueLen uint32)

//go:wasmimport http_handler get_uri
func getURI(buf unsafe.Pointer, bufLimit uint32) uint32

var uri [2048]byte

//go:wasmexport handle_request
func handleRequest() uint64 {
	setHeader(0, "x-plugin", "go")
	n := getURI(unsafe.Pointer(&uri[0]), uint32(len(uri)))
	if string(uri[:n]) == "/hash" {
		sum := sha256.Sum256(append([]byte(nil), uri[:n]...))
		setHeader(1, "x-uri-sha256", hex.EncodeToString(sum[:]))
	}
	return 1
}

//go:wasmexport handle_response
func handleResponse(reqCtx uint32, isError uint32) {}

func setHeader(kind uint32, name, value string) {
	setHeaderValue(kind, unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)),
		unsafe.Pointer(unsafe.StringData(value)), uint32(len(value)))
}

func main() {}
