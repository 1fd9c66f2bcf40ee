// Package wasmhost runs user plugins: WebAssembly modules implementing the http-wasm HTTP handler ABI, plus
// Portico's extension module, on wazero. Each host function is a thin, allocation-free adapter from guest memory
// onto the request's abi.Exchange, so a WASM plugin sees exactly what a built-in sees.
//
// One Runtime per process compiles modules (cached on disk) and hosts the import modules. A Module is one
// compiled, validated binary; a Plugin is a Module bound to a configuration, with a bounded pool of instances,
// and implements abi.Plugin.
//
// # Guest ABI
//
// Guests export:
//
//	memory
//	handle_request() -> i64                     // req_ctx<<32 | next (next: low 32 bits, non-zero passes the request on)
//	handle_response(req_ctx i32, is_error i32)
//
// and may export _initialize (a reactor: run once per instance, e.g. Go -buildmode=c-shared) or _start (a
// command, e.g. a TinyGo http-wasm guest whose main registers its handlers: run once per instance, and it must
// return without exiting). When both are exported only _initialize runs.
//
// Import module "http_handler" (http-wasm, semantics as upstream; "buf_limit probing": when a value is longer
// than buf_limit nothing is written and its length is returned, so the guest retries with a bigger buffer):
//
//	enable_features(features i32) -> i32
//	get_config(buf i32, buf_limit i32) -> i32
//	log_enabled(level i32) -> i32
//	log(level i32, message i32, message_len i32)
//	get_method(buf i32, buf_limit i32) -> i32
//	set_method(method i32, method_len i32)
//	get_uri(buf i32, buf_limit i32) -> i32
//	set_uri(uri i32, uri_len i32)
//	get_protocol_version(buf i32, buf_limit i32) -> i32
//	get_header_names(kind i32, buf i32, buf_limit i32) -> i64                              // count<<32 | len
//	get_header_values(kind i32, name i32, name_len i32, buf i32, buf_limit i32) -> i64     // count<<32 | len
//	set_header_value(kind i32, name i32, name_len i32, value i32, value_len i32)
//	add_header_value(kind i32, name i32, name_len i32, value i32, value_len i32)
//	remove_header(kind i32, name i32, name_len i32)
//	read_body(kind i32, buf i32, buf_limit i32) -> i64                                     // eof<<32 | len
//	write_body(kind i32, body i32, body_len i32)
//	get_status_code() -> i32
//	set_status_code(status_code i32)
//	get_source_addr(buf i32, buf_limit i32) -> i32
//
// Import module "portico" (version 1, see abi.Version; guests that don't import it load unchanged):
//
//	version() -> i32                                                                    // abi.Version
//	get_context_var(name i32, name_len i32, buf i32, buf_limit i32) -> i64              // found<<32 | len
//	kv_get(key i32, key_len i32, buf i32, buf_limit i32) -> i64                         // found<<32 | len
//	kv_set(key i32, key_len i32, value i32, value_len i32, ttl_ms i64)                  // ttl_ms 0: no expiry
//	counter_incr(key i32, key_len i32, delta i64, ttl_ms i64) -> i64                    // the new value
//	http_call(method i32, method_len i32, url i32, url_len i32, headers i32, headers_len i32,
//	          body i32, body_len i32, timeout_ms i32) -> i32    // status >= 100; -1 not allowed, -2 timeout, -3 failed
//	http_call_response_headers(buf i32, buf_limit i32) -> i32   // "name: value\n" lines, with probing
//	http_call_response_body(buf i32, buf_limit i32) -> i32      // with probing
//	now_unix_nano() -> i64                                      // wall clock
//
// get_context_var and kv_get probe like the http_handler getters: len is the full length even when it does not
// fit and nothing was written. http_call's request headers are "name: value\n" lines; timeout_ms <= 0 means the
// gateway's default. The last http_call response of a request stays readable until the next http_call.
//
// "wasi_snapshot_preview1" is provided for guests built with Go, TinyGo or C: real wall and monotonic clocks,
// crypto/rand, no file system, no environment, no arguments; stdout and stderr go to the log with the plugin's
// name. Sleeping returns at once (a request must not block in a guest). The import module "portico_runtime" is
// reserved: the host adds it to every module (see below).
//
// # Limits
//
// Modules are checked before wazero decodes them (at most MaxModuleSize bytes, at most 50 000 locals per
// function, every count backed by what it counts: wazero would otherwise allocate by forged counts). Every
// instance's memory is capped (Config.MemoryLimitPages): memory.grow beyond it fails in the guest. Each guest call
// has a deadline (CallTimeout): Compile rewrites the module so that loops and calls count down a budget and
// regularly call back into the host, which stops a guest past its deadline within about a thousand steps, and
// lets Go's scheduler and GC preempt it meanwhile (interrupt.go explains why not wazero's context deadlines).
// Time spent waiting for http_call does not count. _initialize, _start and a start section run under
// Config.StartTimeout the same way.
//
// # Failures
//
// A guest call that traps, panics, exits, exceeds its deadline, passes a pointer outside its memory, or makes a
// call the Exchange refuses (set_uri after next, an invalid header, a trailer without FeatureTrailers…) fails its
// request with a generic 500 {"error":{"code":"plugin_failed",…}} written through the Exchange (see
// ErrorResponder), while the log gets the reason with the plugin's name and the request ID; the instance is
// discarded and replaced off the request path. When every instance stays busy for QueueTimeout, the request gets
// a 503 with the code "plugin_busy".
package wasmhost
