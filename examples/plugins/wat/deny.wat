;; deny.wat — answers every request itself with "403 Forbidden" and a small JSON body; the request never reaches
;; the backend. Build with `wat2wasm deny.wat -o deny.wasm`.
(module $deny
  ;; set_status_code(status) sets the response status (the default is 200).
  (import "http_handler" "set_status_code" (func $set_status_code (param $status_code i32)))
  ;; set_header_value(kind, name, name_len, value, value_len); kind 1 is the response's headers.
  (import "http_handler" "set_header_value"
    (func $set_header_value (param $kind i32) (param $name i32) (param $name_len i32)
                            (param $value i32) (param $value_len i32)))
  ;; write_body(kind, body, body_len); kind 1 is the response body. The first write replaces the body.
  (import "http_handler" "write_body"
    (func $write_body (param $kind i32) (param $body i32) (param $body_len i32)))

  (memory (export "memory") 1 1)
  (data (i32.const 0) "content-type")                       ;; offset 0, 12 bytes
  (data (i32.const 16) "application/json")                  ;; offset 16, 16 bytes
  (data (i32.const 32) "{\"error\":\"forbidden by plugin\"}\n") ;; offset 32, 32 bytes

  ;; handle_request writes the whole response and returns 0: next=0 means "do not pass the request on", so the host
  ;; sends what the plugin wrote and does not call handle_response.
  (func (export "handle_request") (result i64)
    (call $set_status_code (i32.const 403))
    (call $set_header_value (i32.const 1) (i32.const 0) (i32.const 12) (i32.const 16) (i32.const 16))
    (call $write_body (i32.const 1) (i32.const 32) (i32.const 32))
    (i64.const 0))

  (func (export "handle_response") (param $req_ctx i32) (param $is_error i32))
)
