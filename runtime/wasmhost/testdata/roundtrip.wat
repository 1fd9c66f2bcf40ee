;; A guest exercising every host function. The request header x-case, or else the plugin's config, selects a case
;; by its first byte (see the tables in plugin_test.go); guest-side checks trap with unreachable, which the host turns into a 500. Results the Go test
;; inspects are written to response headers, or as raw little-endian integers and bytes to the response body.
;;
;; It is a reactor: _initialize runs once per instance. It also exports a _start that traps, proving the host
;; runs only _initialize when both are exported.
(module
  (import "http_handler" "enable_features" (func $enable_features (param i32) (result i32)))
  (import "http_handler" "get_config" (func $get_config (param i32 i32) (result i32)))
  (import "http_handler" "log_enabled" (func $log_enabled (param i32) (result i32)))
  (import "http_handler" "log" (func $log (param i32 i32 i32)))
  (import "http_handler" "get_method" (func $get_method (param i32 i32) (result i32)))
  (import "http_handler" "set_method" (func $set_method (param i32 i32)))
  (import "http_handler" "get_uri" (func $get_uri (param i32 i32) (result i32)))
  (import "http_handler" "set_uri" (func $set_uri (param i32 i32)))
  (import "http_handler" "get_protocol_version" (func $get_protocol_version (param i32 i32) (result i32)))
  (import "http_handler" "get_header_names" (func $get_header_names (param i32 i32 i32) (result i64)))
  (import "http_handler" "get_header_values"
    (func $get_header_values (param i32 i32 i32 i32 i32) (result i64)))
  (import "http_handler" "set_header_value" (func $set_header_value (param i32 i32 i32 i32 i32)))
  (import "http_handler" "add_header_value" (func $add_header_value (param i32 i32 i32 i32 i32)))
  (import "http_handler" "remove_header" (func $remove_header (param i32 i32 i32)))
  (import "http_handler" "read_body" (func $read_body (param i32 i32 i32) (result i64)))
  (import "http_handler" "write_body" (func $write_body (param i32 i32 i32)))
  (import "http_handler" "get_status_code" (func $get_status_code (result i32)))
  (import "http_handler" "set_status_code" (func $set_status_code (param i32)))
  (import "http_handler" "get_source_addr" (func $get_source_addr (param i32 i32) (result i32)))

  (import "portico" "version" (func $version (result i32)))
  (import "portico" "get_context_var" (func $get_context_var (param i32 i32 i32 i32) (result i64)))
  (import "portico" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i64)))
  (import "portico" "kv_set" (func $kv_set (param i32 i32 i32 i32 i64)))
  (import "portico" "counter_incr" (func $counter_incr (param i32 i32 i64 i64) (result i64)))
  (import "portico" "http_call"
    (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "portico" "http_call_response_headers" (func $http_call_response_headers (param i32 i32) (result i32)))
  (import "portico" "http_call_response_body" (func $http_call_response_body (param i32 i32) (result i32)))
  (import "portico" "now_unix_nano" (func $now_unix_nano (result i64)))

  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; Layout: strings at multiples of 32 below 1024; config at 1024; integers at 1152; WASI iovec at 1200;
  ;; buffer A at 2048 (8 KiB); accumulated body at 16384.
  (memory (export "memory") 1)
  (data (i32.const 0) "x-method")
  (data (i32.const 32) "x-uri")
  (data (i32.const 64) "x-proto")
  (data (i32.const 96) "x-addr")
  (data (i32.const 128) "x-in")
  (data (i32.const 160) "POST")
  (data (i32.const 192) "/rewritten?q=1")
  (data (i32.const 224) "x-set")
  (data (i32.const 256) "1")
  (data (i32.const 288) "x-add")
  (data (i32.const 320) "2")
  (data (i32.const 352) "x-remove")
  (data (i32.const 384) "new body")
  (data (i32.const 416) "x-after")
  (data (i32.const 448) "wrapped:")
  (data (i32.const 480) "x-trl")
  (data (i32.const 512) "t")
  (data (i32.const 544) "request.id")
  (data (i32.const 576) "k")
  (data (i32.const 608) "v")
  (data (i32.const 640) "c")
  (data (i32.const 672) "GET")
  (data (i32.const 704) "http://allowed.test/x")
  (data (i32.const 736) "http://denied.test/x")
  (data (i32.const 768) "hello from guest\n")
  (data (i32.const 800) "x-ctx")
  (data (i32.const 832) "x-kv")
  (data (i32.const 896) "x-config")
  (data (i32.const 928) "x-init")
  (data (i32.const 960) "x-case")

  (global $inited (mut i32) (i32.const 0))
  (global $acc (mut i32) (i32.const 0))

  ;; config[0], or 0 without a config.
  (func $case (result i32)
    (if (i32.eqz (call $get_config (i32.const 1024) (i32.const 64))) (then (return (i32.const 0))))
    (i32.load8_u (i32.const 1024)))

  ;; The first byte of the request header x-case, else config[0].
  (func $req_case (result i32)
    (if (i64.ne (call $get_header_values (i32.const 0) (i32.const 960) (i32.const 6) (i32.const 1088)
        (i32.const 32)) (i64.const 0))
      (then (return (i32.load8_u (i32.const 1088)))))
    (call $case))

  (func $resp_header (param $name i32) (param $name_len i32) (param $value i32) (param $value_len i32)
    (call $set_header_value (i32.const 1) (local.get $name) (local.get $name_len)
      (local.get $value) (local.get $value_len)))

  (func $body (param $ptr i32) (param $len i32)
    (call $write_body (i32.const 1) (local.get $ptr) (local.get $len)))

  (func $body_i32 (param $v i32)
    (i32.store (i32.const 1152) (local.get $v))
    (call $body (i32.const 1152) (i32.const 4)))

  (func $body_i64 (param $v i64)
    (i64.store (i32.const 1152) (local.get $v))
    (call $body (i32.const 1152) (i32.const 8)))

  (func $check (param $ok i32)
    (if (i32.eqz (local.get $ok)) (then (unreachable))))

  (func (export "_initialize")
    (global.set $inited (i32.const 1))
    ;; case 'i': enable trailers once for every request of the instance
    (if (i32.eq (call $case) (i32.const 105))
      (then (drop (call $enable_features (i32.const 4))))))

  (func (export "_start") (unreachable))

  ;; 'm': mirror the request line, the client address and the config into response headers; answer.
  (func $mirror (result i64)
    (call $resp_header (i32.const 0) (i32.const 8)
      (i32.const 2048) (call $get_method (i32.const 2048) (i32.const 8192)))
    (call $resp_header (i32.const 32) (i32.const 5)
      (i32.const 2048) (call $get_uri (i32.const 2048) (i32.const 8192)))
    (call $resp_header (i32.const 64) (i32.const 7)
      (i32.const 2048) (call $get_protocol_version (i32.const 2048) (i32.const 8192)))
    (call $resp_header (i32.const 96) (i32.const 6)
      (i32.const 2048) (call $get_source_addr (i32.const 2048) (i32.const 8192)))
    (call $resp_header (i32.const 896) (i32.const 8)
      (i32.const 2048) (call $get_config (i32.const 2048) (i32.const 8192)))
    (i64.const 0))

  ;; 'h': header lists into the body: countLen(x-in values), the values, countLen(names), the names.
  (func $lists (result i64)
    (local $r i64)
    (local.set $r (call $get_header_values (i32.const 0) (i32.const 128) (i32.const 4)
      (i32.const 2048) (i32.const 8192)))
    (call $body_i64 (local.get $r))
    (call $body (i32.const 2048) (i32.wrap_i64 (local.get $r)))
    (local.set $r (call $get_header_names (i32.const 0) (i32.const 2048) (i32.const 8192)))
    (call $body_i64 (local.get $r))
    (call $body (i32.const 2048) (i32.wrap_i64 (local.get $r)))
    (i64.const 0))

  ;; 'p': buf_limit probing: a too small buffer is left untouched and the full length is returned.
  (func $probe (result i64)
    (local $len i32) (local $r i64) (local $names i64)
    (local.set $len (call $get_uri (i32.const 2048) (i32.const 0)))
    (call $check (i32.gt_u (local.get $len) (i32.const 1)))
    (i32.store8 (i32.const 2048) (i32.const 0xAA))
    (call $check (i32.eq (call $get_uri (i32.const 2048) (i32.sub (local.get $len) (i32.const 1)))
      (local.get $len)))
    (call $check (i32.eq (i32.load8_u (i32.const 2048)) (i32.const 0xAA)))
    (call $check (i32.eq (call $get_uri (i32.const 2048) (local.get $len)) (local.get $len)))
    (call $resp_header (i32.const 32) (i32.const 5) (i32.const 2048) (local.get $len))

    (local.set $names (call $get_header_names (i32.const 0) (i32.const 2048) (i32.const 0)))
    (local.set $len (i32.wrap_i64 (local.get $names)))
    (call $check (i32.gt_u (local.get $len) (i32.const 1)))
    (i32.store8 (i32.const 2048) (i32.const 0xAA))
    (call $check (i64.eq (call $get_header_names (i32.const 0) (i32.const 2048)
      (i32.sub (local.get $len) (i32.const 1))) (local.get $names)))
    (call $check (i32.eq (i32.load8_u (i32.const 2048)) (i32.const 0xAA)))
    (call $check (i64.eq (call $get_header_names (i32.const 0) (i32.const 2048) (local.get $len))
      (local.get $names)))
    (call $body (i32.const 2048) (local.get $len))
    (i64.const 0))

  ;; 's': change the request and pass it on.
  (func $set_request (result i64)
    (call $set_method (i32.const 160) (i32.const 4))
    (call $set_uri (i32.const 192) (i32.const 14))
    (call $set_header_value (i32.const 0) (i32.const 224) (i32.const 5) (i32.const 256) (i32.const 1))
    (call $add_header_value (i32.const 0) (i32.const 288) (i32.const 5) (i32.const 320) (i32.const 1))
    (call $remove_header (i32.const 0) (i32.const 352) (i32.const 8))
    (call $write_body (i32.const 0) (i32.const 384) (i32.const 8))
    (i64.const 1))

  ;; 'b': read the request body 7 bytes at a time and pass the request on; handle_response echoes it.
  (func $read_request (result i64)
    (local $r i64)
    (global.set $acc (i32.const 0))
    (loop $more
      (local.set $r (call $read_body (i32.const 0)
        (i32.add (i32.const 16384) (global.get $acc)) (i32.const 7)))
      (global.set $acc (i32.add (global.get $acc) (i32.wrap_i64 (local.get $r))))
      (br_if $more (i64.eqz (i64.shr_u (local.get $r) (i64.const 32)))))
    (i64.const 1))

  ;; 'g': grow memory until it fails, then report the size in pages.
  (func $grow (result i64)
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (call $body_i32 (memory.size))
    (i64.const 0))

  ;; 't': trailers with the feature enabled in the request.
  (func $trailers (result i64)
    (drop (call $enable_features (i32.const 4)))
    (call $set_header_value (i32.const 2) (i32.const 480) (i32.const 5) (i32.const 512) (i32.const 1))
    (i64.const 1))

  ;; 'x': the portico module.
  (func $portico (result i64)
    (local $r i64) (local $n i32)
    (local.set $r (call $get_context_var (i32.const 544) (i32.const 10) (i32.const 2048) (i32.const 8192)))
    (call $check (i64.eq (i64.shr_u (local.get $r) (i64.const 32)) (i64.const 1)))
    (call $resp_header (i32.const 800) (i32.const 5) (i32.const 2048) (i32.wrap_i64 (local.get $r)))
    (call $kv_set (i32.const 576) (i32.const 1) (i32.const 608) (i32.const 1) (i64.const 0))
    (local.set $r (call $kv_get (i32.const 576) (i32.const 1) (i32.const 2048) (i32.const 8192)))
    (call $resp_header (i32.const 832) (i32.const 4) (i32.const 2048) (i32.wrap_i64 (local.get $r)))
    (call $body_i64 (call $counter_incr (i32.const 640) (i32.const 1) (i64.const 5) (i64.const 0)))
    (call $body_i64 (call $counter_incr (i32.const 640) (i32.const 1) (i64.const 5) (i64.const 60000)))
    (call $body_i32 (call $version))
    (call $body_i64 (call $now_unix_nano))
    (call $body_i32 (call $http_call (i32.const 672) (i32.const 3) (i32.const 704) (i32.const 21)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000)))
    (local.set $n (call $http_call_response_headers (i32.const 2048) (i32.const 8192)))
    (call $body_i32 (local.get $n))
    (call $body (i32.const 2048) (local.get $n))
    (local.set $n (call $http_call_response_body (i32.const 2048) (i32.const 8192)))
    (call $body_i32 (local.get $n))
    (call $body (i32.const 2048) (local.get $n))
    (call $body_i32 (call $http_call (i32.const 672) (i32.const 3) (i32.const 736) (i32.const 20)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000)))
    (i64.const 0))

  ;; 'w': WASI clocks, randomness and stdout.
  (func $wasi (result i64)
    (call $check (i32.eqz (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 1152))))
    (call $body (i32.const 1152) (i32.const 8))
    (call $check (i32.eqz (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 1152))))
    (call $body (i32.const 1152) (i32.const 8))
    (call $check (i32.eqz (call $random_get (i32.const 1160) (i32.const 16))))
    (call $body (i32.const 1160) (i32.const 16))
    (i32.store (i32.const 1200) (i32.const 768))
    (i32.store (i32.const 1204) (i32.const 17))
    (call $check (i32.eqz (call $fd_write (i32.const 1) (i32.const 1200) (i32.const 1) (i32.const 1216))))
    (i64.const 0))

  ;; 'L': logging.
  (func $logging (result i64)
    (call $log (i32.const 0) (i32.const 768) (i32.const 16))
    (call $body_i32 (call $log_enabled (i32.const -1)))
    (call $body_i32 (call $log_enabled (i32.const 3)))
    (i64.const 0))

  ;; 'i': what _initialize did: it ran, and trailers are enabled without asking again.
  (func $initialized (result i64)
    (call $body_i32 (global.get $inited))
    (call $set_header_value (i32.const 3) (i32.const 480) (i32.const 5) (i32.const 512) (i32.const 1))
    (i64.const 0))

  (func (export "handle_request") (result i64)
    (local $c i32)
    (local.set $c (call $req_case))
    (if (i32.eq (local.get $c) (i32.const 109)) (then (return (call $mirror))))        ;; m
    (if (i32.eq (local.get $c) (i32.const 104)) (then (return (call $lists))))         ;; h
    (if (i32.eq (local.get $c) (i32.const 112)) (then (return (call $probe))))         ;; p
    (if (i32.eq (local.get $c) (i32.const 115)) (then (return (call $set_request))))   ;; s
    (if (i32.eq (local.get $c) (i32.const 98)) (then (return (call $read_request))))   ;; b
    (if (i32.eq (local.get $c) (i32.const 99))                                         ;; c: req_ctx 42, next
      (then (return (i64.const 0x0000002A00000001))))
    (if (i32.eq (local.get $c) (i32.const 117)) (then (unreachable)))                  ;; u
    (if (i32.eq (local.get $c) (i32.const 108)) (then (loop $forever (br $forever))))  ;; l
    (if (i32.eq (local.get $c) (i32.const 103)) (then (return (call $grow))))          ;; g
    (if (i32.eq (local.get $c) (i32.const 111))                                        ;; o: name outside memory
      (then (call $set_header_value (i32.const 0) (i32.const 0xFFFFFFF0) (i32.const 100)
        (i32.const 0) (i32.const 1))))
    (if (i32.eq (local.get $c) (i32.const 79))                                         ;; O: buffer outside memory
      (then (drop (call $get_uri (i32.const 0xFFFFFFF0) (i32.const 8192)))))
    (if (i32.eq (local.get $c) (i32.const 84))                                         ;; T: trailer, no feature
      (then (call $set_header_value (i32.const 3) (i32.const 480) (i32.const 5) (i32.const 512) (i32.const 1))))
    (if (i32.eq (local.get $c) (i32.const 116)) (then (return (call $trailers))))      ;; t
    (if (i32.eq (local.get $c) (i32.const 120)) (then (return (call $portico))))       ;; x
    (if (i32.eq (local.get $c) (i32.const 119)) (then (return (call $wasi))))          ;; w
    (if (i32.eq (local.get $c) (i32.const 101)) (then (call $proc_exit (i32.const 3))));; e
    (if (i32.eq (local.get $c) (i32.const 76)) (then (return (call $logging))))        ;; L
    (if (i32.eq (local.get $c) (i32.const 105)) (then (return (call $initialized))))   ;; i
    (if (i32.eq (local.get $c) (i32.const 86))                                         ;; V: bad header value
      (then (call $set_header_value (i32.const 0) (i32.const 224) (i32.const 5)
        (i32.const 764) (i32.const 5))))
    ;; n, a, U, r: pass the request on; the rest happens in handle_response
    (i64.const 1))

  (func (export "handle_response") (param $req_ctx i32) (param $is_error i32)
    (local $c i32) (local $r i64)
    (local.set $c (call $req_case))
    (if (i32.eq (local.get $c) (i32.const 98))                                         ;; b: echo the request body
      (then (call $body (i32.const 16384) (global.get $acc))))
    (if (i32.eq (local.get $c) (i32.const 99))                                         ;; c: report req_ctx, is_error
      (then
        (i32.store (i32.const 1152) (local.get $req_ctx))
        (i32.store (i32.const 1156) (local.get $is_error))
        (call $body (i32.const 1152) (i32.const 8))))
    (if (i32.eq (local.get $c) (i32.const 97))                                         ;; a: set_uri after next
      (then (call $set_uri (i32.const 192) (i32.const 14))))
    (if (i32.eq (local.get $c) (i32.const 85)) (then (unreachable)))                   ;; U
    (if (i32.eq (local.get $c) (i32.const 116))                                        ;; t: response trailer
      (then (call $set_header_value (i32.const 3) (i32.const 480) (i32.const 5) (i32.const 512) (i32.const 1))))
    (if (i32.eq (local.get $c) (i32.const 114))                                        ;; r: rewrite the response
      (then
        (call $resp_header (i32.const 416) (i32.const 7) (i32.const 256) (i32.const 1))
        (i32.store (i32.const 1148) (call $get_status_code))
        (call $set_status_code (i32.const 201))
        (global.set $acc (i32.const 0))
        (loop $more
          (local.set $r (call $read_body (i32.const 1)
            (i32.add (i32.const 16384) (global.get $acc)) (i32.const 5)))
          (global.set $acc (i32.add (global.get $acc) (i32.wrap_i64 (local.get $r))))
          (br_if $more (i64.eqz (i64.shr_u (local.get $r) (i64.const 32)))))
        (call $body (i32.const 448) (i32.const 8))
        (call $body (i32.const 16384) (global.get $acc))
        (call $body (i32.const 1148) (i32.const 4))))))
