;; A start section that never returns: wazero would run it inside instantiation, out of any deadline's reach;
;; the host runs it itself, under the start deadline.
(module
  (memory (export "memory") 1)
  (func $spin (loop $forever (br $forever)))
  (start $spin)
  (func (export "handle_request") (result i64) (i64.const 1))
  (func (export "handle_response") (param i32 i32)))
