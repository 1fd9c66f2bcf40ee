/*
 * abi-check references every host function portico.h declares, so that the module's import section lists them all
 * with the signatures the compiler derived from the header. examples/plugins/build-all.sh builds it and compares
 * that list with the ABI (wasm-sdk/ABI.md). It is never run.
 */
#include "portico.h"

static volatile int which;
static char buf[16];

PORTICO_EXPORT("handle_request") uint64_t handle_request(void) {
    uint64_t r = 0;
    switch (which) {
    case 0: r = http_handler_enable_features(1); break;
    case 1: r = http_handler_get_config(buf, sizeof buf); break;
    case 2: r = http_handler_log_enabled(0); break;
    case 3: http_handler_log(0, buf, 1); break;
    case 4: r = http_handler_get_method(buf, sizeof buf); break;
    case 5: http_handler_set_method(buf, 1); break;
    case 6: r = http_handler_get_uri(buf, sizeof buf); break;
    case 7: http_handler_set_uri(buf, 1); break;
    case 8: r = http_handler_get_protocol_version(buf, sizeof buf); break;
    case 9: r = http_handler_get_source_addr(buf, sizeof buf); break;
    case 10: r = http_handler_get_header_names(0, buf, sizeof buf); break;
    case 11: r = http_handler_get_header_values(0, buf, 1, buf, sizeof buf); break;
    case 12: http_handler_set_header_value(0, buf, 1, buf, 1); break;
    case 13: http_handler_add_header_value(0, buf, 1, buf, 1); break;
    case 14: http_handler_remove_header(0, buf, 1); break;
    case 15: r = http_handler_read_body(0, buf, sizeof buf); break;
    case 16: http_handler_write_body(0, buf, 1); break;
    case 17: r = http_handler_get_status_code(); break;
    case 18: http_handler_set_status_code(200); break;
    case 19: r = portico_host_get_context_var(buf, 1, buf, sizeof buf); break;
    case 20: r = portico_host_kv_get(buf, 1, buf, sizeof buf); break;
    case 21: portico_host_kv_set(buf, 1, buf, 1, 0); break;
    case 22: r = (uint64_t)portico_host_counter_incr(buf, 1, 1, 0); break;
    case 23: r = (uint64_t)portico_host_http_call(buf, 1, buf, 1, buf, 0, buf, 0, 0); break;
    case 24: r = portico_host_http_call_response_headers(buf, sizeof buf); break;
    case 25: r = portico_host_http_call_response_body(buf, sizeof buf); break;
    case 26: r = (uint64_t)portico_host_now_unix_nano(); break;
    case 27: r = (uint64_t)portico_host_version(); break;
    }
    return r;
}

PORTICO_EXPORT("handle_response") void handle_response(uint32_t req_ctx, uint32_t is_error) {
    (void)req_ctx;
    (void)is_error;
}
