;; A command module (exports _start but not _initialize), like a TinyGo http-wasm guest whose main registers the
;; handlers: the host must run _start once per instance, before the first request.
(module
  (import "http_handler" "set_header_value"
    (func $set_header_value (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "x-started")
  (data (i32.const 16) "1")
  (global $started (mut i32) (i32.const 0))

  (func (export "_start") (global.set $started (i32.const 1)))

  (func (export "handle_request") (result i64)
    (if (i32.eqz (global.get $started)) (then (unreachable)))
    (call $set_header_value (i32.const 1) (i32.const 0) (i32.const 9) (i32.const 16) (i32.const 1))
    (i64.const 0))

  (func (export "handle_response") (param i32 i32)))
