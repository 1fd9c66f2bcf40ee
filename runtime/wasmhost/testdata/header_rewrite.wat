;; The smallest useful plugin: it sets a request header and passes the request on. The benchmarks measure the
;; host's per-request overhead with it, and the parity test compares it with the same rewrite done by a built-in.
(module
  (import "http_handler" "set_header_value"
    (func $set_header_value (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "x-plugin")
  (data (i32.const 16) "wasm")

  (func (export "handle_request") (result i64)
    (call $set_header_value (i32.const 0) (i32.const 0) (i32.const 8) (i32.const 16) (i32.const 4))
    (i64.const 1))

  (func (export "handle_response") (param i32 i32)))
