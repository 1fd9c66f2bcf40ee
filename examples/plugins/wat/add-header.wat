;; add-header.wat — the smallest useful Portico plugin: it sets the request header "x-from-wat: yes" and passes the
;; request on. Hand-written WebAssembly text; build with `wat2wasm add-header.wat -o add-header.wasm`.
;;
;; It needs one host function and exports what every plugin exports: memory, handle_request, handle_response.
(module $add_header
  ;; set_header_value(kind, name, name_len, value, value_len) replaces every value of a header.
  ;; kind 0 is the request's headers (1 response, 2 request trailers, 3 response trailers).
  (import "http_handler" "set_header_value"
    (func $set_header_value (param $kind i32) (param $name i32) (param $name_len i32)
                            (param $value i32) (param $value_len i32)))

  ;; The host reads the strings a guest passes (pointer + length) from its exported memory. One 64 KiB page.
  (memory (export "memory") 1 1)
  (data (i32.const 0) "x-from-wat")  ;; name:  offset 0, 10 bytes
  (data (i32.const 16) "yes")        ;; value: offset 16, 3 bytes

  ;; handle_request returns req_ctx<<32 | next. next=1 passes the request on to the backend; req_ctx (here 0) comes
  ;; back as handle_response's first argument.
  (func (export "handle_request") (result i64)
    (call $set_header_value
      (i32.const 0)                      ;; kind: request headers
      (i32.const 0) (i32.const 10)       ;; "x-from-wat"
      (i32.const 16) (i32.const 3))      ;; "yes"
    (i64.const 1))                       ;; 0<<32 | next=1

  ;; handle_response runs after the backend answered (is_error=1: the gateway produced an error response).
  ;; Nothing to do here, but every plugin exports it.
  (func (export "handle_response") (param $req_ctx i32) (param $is_error i32))
)
