;; A reactor whose _initialize traps: no instance can be created.
(module
  (memory (export "memory") 1)
  (func (export "_initialize") (unreachable))
  (func (export "handle_request") (result i64) (i64.const 1))
  (func (export "handle_response") (param i32 i32)))
