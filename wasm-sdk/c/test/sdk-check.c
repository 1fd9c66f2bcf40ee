/*
 * sdk-check exercises portico.h's helpers against a real host: wasm-sdk/c/sdk_test.go runs it on Portico's WASM
 * host and compares what it reports with what the host holds. handle_request reads everything it can (probing with
 * a small buffer first), changes the request and passes it on; handle_response reads the backend's answer and
 * replaces the response with a report, one "key=value" line per check. sdk-check.ts does the same for the
 * AssemblyScript SDK and reports the same lines.
 */
#include "portico.h"

static char report[8192];
static uint32_t report_len;
static char big[8192];

static void put(const char *s, uint32_t n) {
    for (uint32_t i = 0; i < n && report_len < sizeof report; i++) report[report_len++] = s[i];
}
static void put_str(const char *s) { put(s, portico_strlen(s)); }
static void put_int(int64_t v) {
    char d[24];
    int n = 0, neg = v < 0;
    uint64_t u = neg ? (uint64_t)-v : (uint64_t)v;
    do {
        d[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg) put("-", 1);
    while (n) put(&d[--n], 1);
}
static void line(const char *key, const char *v, uint32_t n) {
    put_str(key);
    put("=", 1);
    put(v, n);
    put("\n", 1);
}
static void line_int(const char *key, int64_t v) {
    put_str(key);
    put("=", 1);
    put_int(v);
    put("\n", 1);
}

/* probed reads a value with a 4-byte buffer first, as a guest that guesses too small does, then with big. It
 * returns the length, or -1 when the two calls disagree or the small buffer was written. */
typedef uint32_t (*getter)(char *buf, uint32_t cap);
static int64_t probed(getter get) {
    char tiny[4] = {'#', '#', '#', '#'};
    uint32_t want = get(tiny, sizeof tiny);
    if (want > sizeof tiny && tiny[0] != '#') return -1;
    uint32_t n = get(big, sizeof big);
    return n == want && n <= sizeof big ? (int64_t)n : -1;
}

PORTICO_EXPORT("handle_request") uint64_t handle_request(void) {
    char buf[64];
    uint32_t n, len, count;
    int64_t m;
    report_len = 0;

    uint32_t f = portico_enable_features(PORTICO_FEATURE_BUFFER_REQUEST | PORTICO_FEATURE_BUFFER_RESPONSE);
    line_int("features", f & 3);
    m = probed(portico_get_method);
    line("method", big, m < 0 ? 0 : (uint32_t)m);
    m = probed(portico_get_uri);
    line("uri", big, m < 0 ? 0 : (uint32_t)m);
    m = probed(portico_get_protocol_version);
    line("proto", big, m < 0 ? 0 : (uint32_t)m);
    m = probed(portico_get_source_addr);
    line("source", big, m < 0 ? 0 : (uint32_t)m);

    /* x-long (5000 bytes) does not fit buf: nothing is written, the needed length (with its NUL) comes back */
    buf[0] = '#';
    n = portico_get_header(PORTICO_HEADER_REQUEST, "x-long", buf, sizeof buf);
    if (n != 5001 || buf[0] != '#') {
        line_int("x-long-probe-bad", n);
    }
    n = portico_get_header(PORTICO_HEADER_REQUEST, "X-Long", big, sizeof big);
    line_int("x-long", n <= sizeof big ? portico_strlen(big) : -1);
    n = portico_get_header(PORTICO_HEADER_REQUEST, "x-multi", big, sizeof big);
    {
        const char *p = big, *s;
        while ((s = portico_next_string(&p, big + n))) line("x-multi", s, portico_strlen(s));
    }
    line_int("x-absent", portico_get_header(PORTICO_HEADER_REQUEST, "x-absent", buf, sizeof buf));
    n = portico_get_header_names(PORTICO_HEADER_REQUEST, big, sizeof big, &count);
    {
        const char *p = big, *s;
        int seen = 0;
        while ((s = portico_next_string(&p, big + n))) seen |= portico_bytes_eq(s, portico_strlen(s), "x-multi");
        line_int("names-has-x-multi", seen && count >= 3);
    }

    /* the body, four bytes at a time */
    {
        int eof = 0;
        uint32_t total = 0;
        while (!eof && total < sizeof big - 4) total += portico_read_body(PORTICO_BODY_REQUEST, big + total, 4, &eof);
        line("body", big, total);
    }

    /* the portico extension */
    line_int("request.id-found", portico_get_context_var("request.id", buf, sizeof buf, &len));
    line("request.id", buf, len <= sizeof buf ? len : 0);
    line_int("long-found", portico_get_context_var("long", buf, sizeof buf, &len));
    line_int("long-len", len);
    line_int("nope-found", portico_get_context_var("nope", buf, sizeof buf, &len));
    portico_kv_set("k", "v1", 2, 60000);
    line_int("kv-found", portico_kv_get("k", buf, sizeof buf, &len));
    line("kv", buf, len <= sizeof buf ? len : 0);
    line_int("kv-missing-found", portico_kv_get("missing", buf, sizeof buf, &len));
    portico_counter_incr("c", 1, 60000);
    line_int("counter", portico_counter_incr("c", 2, 60000));
    line_int("call-denied", portico_http_call("GET", "http://denied.test/", 0, 0, 0, 1000));
    line_int("call", portico_http_call("POST", "http://allowed.test/echo", "a: b\n", "hi", 2, 1000));
    n = portico_http_call_response_headers(big, sizeof big);
    line("call-headers", big, n <= sizeof big ? n : 0);
    n = portico_http_call_response_body(big, sizeof big);
    line("call-body", big, n <= sizeof big ? n : 0);
    line_int("version", portico_version());
    line_int("now-positive", portico_now_unix_nano() > 0);
    line_int("log-debug", portico_log_enabled(PORTICO_LOG_DEBUG));
    portico_log(PORTICO_LOG_INFO, "sdk-check: request done");

    /* change the request, then pass it on with a request context */
    portico_set_method("PUT");
    portico_set_uri("/rewritten?x=1");
    portico_add_header(PORTICO_HEADER_REQUEST, "x-added", "a");
    portico_add_header(PORTICO_HEADER_REQUEST, "x-added", "b");
    portico_remove_header(PORTICO_HEADER_REQUEST, "x-remove");
    portico_set_header(PORTICO_HEADER_REQUEST, "x-multi", "one");
    portico_write_body(PORTICO_BODY_REQUEST, "new body", 8);
    return PORTICO_NEXT(7);
}

PORTICO_EXPORT("handle_response") void handle_response(uint32_t req_ctx, uint32_t is_error) {
    line_int("req-ctx", req_ctx);
    line_int("is-error", is_error);
    line_int("backend-status", portico_get_status_code());
    char buf[64];
    uint32_t n = portico_get_header(PORTICO_HEADER_RESPONSE, "x-backend", buf, sizeof buf);
    line("backend-header", buf, n && n <= sizeof buf ? n - 1 : 0);
    int eof;
    n = portico_read_body(PORTICO_BODY_RESPONSE, big, sizeof big, &eof);
    line("backend-body", big, n);
    portico_set_status_code(201);
    portico_set_header(PORTICO_HEADER_RESPONSE, "content-type", "text/plain");
    portico_write_body(PORTICO_BODY_RESPONSE, report, report_len);
}
