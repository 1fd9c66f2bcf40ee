// The host functions of Portico's plugin ABI, declared exactly as wasm-sdk/ABI.md specifies them. Pointers are
// usize (i32 on wasm32); results that pack two numbers are u64. Most plugins use the friendlier API in index.ts.
//
// Only functions a plugin calls end up as imports of the module: a plugin that never touches the portico extension
// does not import the "portico" module and runs on any http-wasm host.

// ---- http_handler: the http-wasm HTTP handler ABI ----------------------------------------------------------------

@external("http_handler", "enable_features")
export declare function enable_features(features: u32): u32;
@external("http_handler", "get_config")
export declare function get_config(buf: usize, buf_limit: u32): u32;
@external("http_handler", "log_enabled")
export declare function log_enabled(level: i32): u32;
@external("http_handler", "log")
export declare function log(level: i32, message: usize, message_len: u32): void;

@external("http_handler", "get_method")
export declare function get_method(buf: usize, buf_limit: u32): u32;
@external("http_handler", "set_method")
export declare function set_method(method: usize, method_len: u32): void;
@external("http_handler", "get_uri")
export declare function get_uri(buf: usize, buf_limit: u32): u32;
@external("http_handler", "set_uri")
export declare function set_uri(uri: usize, uri_len: u32): void;
@external("http_handler", "get_protocol_version")
export declare function get_protocol_version(buf: usize, buf_limit: u32): u32;
@external("http_handler", "get_source_addr")
export declare function get_source_addr(buf: usize, buf_limit: u32): u32;

// count<<32 | len; NUL-terminated names/values, written only when len <= buf_limit.
@external("http_handler", "get_header_names")
export declare function get_header_names(kind: u32, buf: usize, buf_limit: u32): u64;
@external("http_handler", "get_header_values")
export declare function get_header_values(kind: u32, name: usize, name_len: u32, buf: usize, buf_limit: u32): u64;
@external("http_handler", "set_header_value")
export declare function set_header_value(kind: u32, name: usize, name_len: u32, value: usize, value_len: u32): void;
@external("http_handler", "add_header_value")
export declare function add_header_value(kind: u32, name: usize, name_len: u32, value: usize, value_len: u32): void;
@external("http_handler", "remove_header")
export declare function remove_header(kind: u32, name: usize, name_len: u32): void;

// eof<<32 | len. buf_limit must not be zero.
@external("http_handler", "read_body")
export declare function read_body(kind: u32, buf: usize, buf_limit: u32): u64;
@external("http_handler", "write_body")
export declare function write_body(kind: u32, body: usize, body_len: u32): void;

@external("http_handler", "get_status_code")
export declare function get_status_code(): u32;
@external("http_handler", "set_status_code")
export declare function set_status_code(status_code: u32): void;

// ---- portico: Portico's extension (optional) ---------------------------------------------------------------------

// found<<32 | len (probing).
@external("portico", "get_context_var")
export declare function get_context_var(name: usize, name_len: u32, buf: usize, buf_limit: u32): u64;
@external("portico", "kv_get")
export declare function kv_get(key: usize, key_len: u32, buf: usize, buf_limit: u32): u64;
@external("portico", "kv_set")
export declare function kv_set(key: usize, key_len: u32, value: usize, value_len: u32, ttl_ms: i64): void;
@external("portico", "counter_incr")
export declare function counter_incr(key: usize, key_len: u32, delta: i64, ttl_ms: i64): i64;
// The status, or -1 not allowed / -2 timeout / -3 failed. headers are "name: value\n" lines.
@external("portico", "http_call")
export declare function http_call(
  method: usize, method_len: u32, url: usize, url_len: u32, headers: usize, headers_len: u32,
  body: usize, body_len: u32, timeout_ms: u32,
): i32;
@external("portico", "http_call_response_headers")
export declare function http_call_response_headers(buf: usize, buf_limit: u32): u32;
@external("portico", "http_call_response_body")
export declare function http_call_response_body(buf: usize, buf_limit: u32): u32;
@external("portico", "now_unix_nano")
export declare function now_unix_nano(): i64;
@external("portico", "version")
export declare function version(): i32;
