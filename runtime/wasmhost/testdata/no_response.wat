;; A guest with nothing to do after the backend: it enables Portico's FeatureNoResponse (bit 16) in
;; handle_request, so the host returns its instance to the pool as soon as the request is passed on.
(module
  (import "http_handler" "enable_features" (func $enable_features (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "handle_request") (result i64)
    (drop (call $enable_features (i32.const 65536)))
    (i64.const 1))
  (func (export "handle_response") (param i32 i32) (unreachable)))
