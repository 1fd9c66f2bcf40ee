;; A guest that misbehaves on request: /f/trap traps, /f/loop never returns, /f/grow grows memory until the cap
;; and then traps, /f/ok passes the request on. The gateway must answer the bad ones 500 and keep serving.
(module
  (import "http_handler" "get_uri" (func $get_uri (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "handle_request") (result i64)
    (local $c i32)
    (drop (call $get_uri (i32.const 0) (i32.const 256)))
    (local.set $c (i32.load8_u (i32.const 3)))                       ;; the byte after "/f/"
    (if (i32.eq (local.get $c) (i32.const 116)) (then (unreachable))) ;; t: trap
    (if (i32.eq (local.get $c) (i32.const 108)) (then (loop $forever (br $forever)))) ;; l: loop
    (if (i32.eq (local.get $c) (i32.const 103))                      ;; g: grow until refused, then trap
      (then
        (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
        (unreachable)))
    (i64.const 1))
  (func (export "handle_response") (param i32 i32)))
