//go:build wasip1

package portico

import "unsafe"

// The host functions, exactly as wasm-sdk/ABI.md specifies them. A Go string parameter is lowered to two i32
// values (pointer, length), which is the ABI's (ptr, len) pair; unsafe.Pointer and uint32 are i32; int64 and uint64
// are i64. The linker keeps an import only if it is called, so a plugin imports only what it uses.

//go:wasmimport http_handler enable_features
func hhEnableFeatures(features uint32) uint32

//go:wasmimport http_handler get_config
func hhGetConfig(buf unsafe.Pointer, bufLimit uint32) uint32

//go:wasmimport http_handler log_enabled
func hhLogEnabled(level int32) uint32

//go:wasmimport http_handler log
func hhLog(level int32, msg string)

//go:wasmimport http_handler get_method
func hhGetMethod(buf unsafe.Pointer, bufLimit uint32) uint32

//go:wasmimport http_handler set_method
func hhSetMethod(method string)

//go:wasmimport http_handler get_uri
func hhGetURI(buf unsafe.Pointer, bufLimit uint32) uint32

//go:wasmimport http_handler set_uri
func hhSetURI(uri string)

//go:wasmimport http_handler get_protocol_version
func hhGetProtocolVersion(buf unsafe.Pointer, bufLimit uint32) uint32

//go:wasmimport http_handler get_header_names
func hhGetHeaderNames(kind uint32, buf unsafe.Pointer, bufLimit uint32) uint64

//go:wasmimport http_handler get_header_values
func hhGetHeaderValues(kind uint32, name string, buf unsafe.Pointer, bufLimit uint32) uint64

//go:wasmimport http_handler set_header_value
func hhSetHeaderValue(kind uint32, name, value string)

//go:wasmimport http_handler add_header_value
func hhAddHeaderValue(kind uint32, name, value string)

//go:wasmimport http_handler remove_header
func hhRemoveHeader(kind uint32, name string)

//go:wasmimport http_handler read_body
func hhReadBody(kind uint32, buf unsafe.Pointer, bufLimit uint32) uint64

//go:wasmimport http_handler write_body
func hhWriteBody(kind uint32, body unsafe.Pointer, bodyLen uint32)

//go:wasmimport http_handler get_status_code
func hhGetStatusCode() uint32

//go:wasmimport http_handler set_status_code
func hhSetStatusCode(code uint32)

//go:wasmimport http_handler get_source_addr
func hhGetSourceAddr(buf unsafe.Pointer, bufLimit uint32) uint32

//go:wasmimport portico get_context_var
func pGetContextVar(name string, buf unsafe.Pointer, bufLimit uint32) uint64

//go:wasmimport portico kv_get
func pKVGet(key string, buf unsafe.Pointer, bufLimit uint32) uint64

//go:wasmimport portico kv_set
func pKVSet(key string, value unsafe.Pointer, valueLen uint32, ttlMillis int64)

//go:wasmimport portico counter_incr
func pCounterIncr(key string, delta, ttlMillis int64) int64

//go:wasmimport portico http_call
func pHTTPCall(method, url, headers string, body unsafe.Pointer, bodyLen uint32, timeoutMillis int32) int32

//go:wasmimport portico http_call_response_headers
func pHTTPCallResponseHeaders(buf unsafe.Pointer, bufLimit uint32) uint32

//go:wasmimport portico http_call_response_body
func pHTTPCallResponseBody(buf unsafe.Pointer, bufLimit uint32) uint32

//go:wasmimport portico now_unix_nano
func pNowUnixNano() int64

//go:wasmimport portico version
func pVersion() int32

// hostChanged is false: an instance has one host for life.
func hostChanged() bool { return false }

// ptr is the guest address of buf's first byte; for an empty slice any address will do because the host reads
// or writes nothing.
func ptr(buf []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(buf)) }

func enableFeatures(f uint32) uint32            { return hhEnableFeatures(f) }
func getConfig(buf []byte) uint32               { return hhGetConfig(ptr(buf), uint32(len(buf))) }
func logEnabled(level int32) uint32             { return hhLogEnabled(level) }
func logMessage(level int32, msg string)        { hhLog(level, msg) }
func getMethod(buf []byte) uint32               { return hhGetMethod(ptr(buf), uint32(len(buf))) }
func setMethod(method string)                   { hhSetMethod(method) }
func getURI(buf []byte) uint32                  { return hhGetURI(ptr(buf), uint32(len(buf))) }
func setURI(uri string)                         { hhSetURI(uri) }
func getProtocolVersion(buf []byte) uint32      { return hhGetProtocolVersion(ptr(buf), uint32(len(buf))) }
func getSourceAddr(buf []byte) uint32           { return hhGetSourceAddr(ptr(buf), uint32(len(buf))) }
func getStatusCode() uint32                     { return hhGetStatusCode() }
func setStatusCode(code uint32)                 { hhSetStatusCode(code) }
func removeHeader(kind headerKind, name string) { hhRemoveHeader(uint32(kind), name) }

func getHeaderNames(kind headerKind, buf []byte) uint64 {
	return hhGetHeaderNames(uint32(kind), ptr(buf), uint32(len(buf)))
}

func getHeaderValues(kind headerKind, name string, buf []byte) uint64 {
	return hhGetHeaderValues(uint32(kind), name, ptr(buf), uint32(len(buf)))
}

func setHeaderValue(kind headerKind, name, value string) { hhSetHeaderValue(uint32(kind), name, value) }
func addHeaderValue(kind headerKind, name, value string) { hhAddHeaderValue(uint32(kind), name, value) }

func readBody(kind bodyKind, buf []byte) uint64 {
	return hhReadBody(uint32(kind), ptr(buf), uint32(len(buf)))
}

func writeBody(kind bodyKind, body []byte) { hhWriteBody(uint32(kind), ptr(body), uint32(len(body))) }

func getContextVar(name string, buf []byte) uint64 {
	return pGetContextVar(name, ptr(buf), uint32(len(buf)))
}

func kvGet(key string, buf []byte) uint64 { return pKVGet(key, ptr(buf), uint32(len(buf))) }

func kvSet(key string, value []byte, ttlMillis int64) {
	pKVSet(key, ptr(value), uint32(len(value)), ttlMillis)
}

func counterIncr(key string, delta, ttlMillis int64) int64 {
	return pCounterIncr(key, delta, ttlMillis)
}

func httpCall(method, url, headers string, body []byte, timeoutMillis int32) int32 {
	return pHTTPCall(method, url, headers, ptr(body), uint32(len(body)), timeoutMillis)
}

func httpCallResponseHeaders(buf []byte) uint32 {
	return pHTTPCallResponseHeaders(ptr(buf), uint32(len(buf)))
}
func httpCallResponseBody(buf []byte) uint32 {
	return pHTTPCallResponseBody(ptr(buf), uint32(len(buf)))
}
func nowUnixNano() int64 { return pNowUnixNano() }
func version() int32     { return pVersion() }
