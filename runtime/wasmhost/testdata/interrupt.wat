;; Exercises the rewrite of interrupt.go: function indexes used by calls, call_indirect through an element
;; segment, ref.func in a global initialiser, an export and the start section must all still point at the same
;; functions once the host has added its import; loops and recursion must stop at the deadline. Compile it with
;; wat2wasm --debug-names so that the name section is rewritten too.
(module
  (type $ret_i32 (func (result i32)))
  (import "http_handler" "get_config" (func $get_config (param i32 i32) (result i32)))
  (import "http_handler" "set_header_value" (func $set_header_value (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (table $t 2 funcref)
  (elem (i32.const 0) $one $two)
  (global $ref (mut funcref) (ref.func $two))
  (global $started (mut i32) (i32.const 0))
  (data (i32.const 0) "x-result")
  (data (i32.const 16) "ok")
  (start $on_start)

  (func $on_start (global.set $started (i32.add (global.get $started) (i32.const 1))))
  (func $one (type $ret_i32) (i32.const 1))
  (func $two (type $ret_i32) (i32.const 2))
  (func $check (param $ok i32) (if (i32.eqz (local.get $ok)) (then (unreachable))))

  ;; Exponential recursion without a loop: only the check at function entry can stop it.
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  (func $deep_trap (unreachable))

  (func $spin (loop $forever (br $forever)))

  (func (export "one") (result i32) (call $one))

  (func (export "handle_request") (result i64)
    (drop (call $get_config (i32.const 64) (i32.const 1)))
    (block $done
      (br_if $done (i32.ne (i32.load8_u (i32.const 64)) (i32.const 97))) ;; 'a': everything still wired
      (call $check (i32.eq (global.get $started) (i32.const 1)))
      (call $check (i32.eq (call $one) (i32.const 1)))
      (call $check (i32.eq (call_indirect (type $ret_i32) (i32.const 0)) (i32.const 1)))
      (call $check (i32.eq (call_indirect (type $ret_i32) (i32.const 1)) (i32.const 2)))
      (table.set $t (i32.const 0) (global.get $ref))
      (call $check (i32.eq (call_indirect (type $ret_i32) (i32.const 0)) (i32.const 2)))
      (call $check (i32.eq (call $fib (i32.const 10)) (i32.const 55)))
      (call $set_header_value (i32.const 1) (i32.const 0) (i32.const 8) (i32.const 16) (i32.const 2))
      (return (i64.const 0)))
    (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 114)) ;; 'r': recursion for ever (almost)
      (then (drop (call $fib (i32.const 100)))))
    (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 108)) ;; 'l': loop for ever
      (then (call $spin)))
    (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 117)) ;; 'u': trap in a named function
      (then (call $deep_trap)))
    (i64.const 1))

  (func (export "handle_response") (param i32 i32)))
