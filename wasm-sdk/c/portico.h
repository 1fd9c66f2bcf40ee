/*
 * portico.h — header-only C SDK for Portico WebAssembly plugins.
 *
 * Portico's guest ABI is the http-wasm HTTP handler ABI (import module "http_handler") plus one optional extension
 * module, "portico". wasm-sdk/ABI.md is the normative description; this header declares every host function with
 * its exact WebAssembly signature and adds a few helpers that take C strings and caller-owned buffers.
 *
 * Nothing here allocates. Host functions that return a value of unknown length "probe": when the value is longer
 * than buf_limit, nothing is written and the needed length is returned. Retry with a buffer at least that large,
 * and repeat until the returned length fits: a value can change between two calls (a KV value another instance
 * rewrote). Most values fit in 1 KiB.
 *
 * Three layers; the first two are one-to-one with the ABI:
 *   http_handler_<fn>   the http_handler import <fn>, exactly as specified (raw pointers and lengths);
 *   portico_host_<fn>   the portico import <fn>, exactly as specified;
 *   portico_<fn>        helpers on top of the two (C strings, split results).
 * Only functions a plugin actually calls become imports of the module: a plugin that uses no portico_* extension
 * helper does not import the "portico" module at all and runs on any http-wasm host.
 *
 * A plugin exports two functions itself (and the linker exports memory):
 *
 *     #include "portico.h"
 *
 *     PORTICO_EXPORT("handle_request") uint64_t handle_request(void) {
 *         portico_set_header(PORTICO_HEADER_REQUEST, "x-hello", "world");
 *         return PORTICO_NEXT(0);
 *     }
 *     PORTICO_EXPORT("handle_response") void handle_response(uint32_t req_ctx, uint32_t is_error) {}
 *
 * Build (Debian clang 14 + wasi-libc; see examples/plugins/c/add-header/build.sh):
 *     clang --target=wasm32-wasi -mexec-model=reactor -O2 -I wasm-sdk/c -o plugin.wasm plugin.c
 */
#ifndef PORTICO_H
#define PORTICO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTICO_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
/* PORTICO_EXPORT marks a function the host calls: "handle_request" and "handle_response". */
#define PORTICO_EXPORT(name) __attribute__((export_name(name)))

/* ---- constants ---------------------------------------------------------------------------------------------- */

/* Header kinds (http-wasm header_kind). */
#define PORTICO_HEADER_REQUEST 0u
#define PORTICO_HEADER_RESPONSE 1u
#define PORTICO_HEADER_REQUEST_TRAILERS 2u
#define PORTICO_HEADER_RESPONSE_TRAILERS 3u

/* Body kinds (http-wasm body_kind). */
#define PORTICO_BODY_REQUEST 0u
#define PORTICO_BODY_RESPONSE 1u

/* Feature flags for enable_features. */
#define PORTICO_FEATURE_BUFFER_REQUEST 1u
#define PORTICO_FEATURE_BUFFER_RESPONSE 2u
#define PORTICO_FEATURE_TRAILERS 4u

/* Log levels. */
#define PORTICO_LOG_DEBUG (-1)
#define PORTICO_LOG_INFO 0
#define PORTICO_LOG_WARN 1
#define PORTICO_LOG_ERROR 2
#define PORTICO_LOG_NONE 3

/* http_call results below zero. */
#define PORTICO_CALL_NOT_ALLOWED (-1)
#define PORTICO_CALL_TIMEOUT (-2)
#define PORTICO_CALL_FAILED (-3)

/* handle_request results: PORTICO_NEXT(ctx) passes the request on and has handle_response called with ctx;
 * PORTICO_STOP means the plugin wrote the response itself (handle_response is not called). */
#define PORTICO_NEXT(req_ctx) ((((uint64_t)(uint32_t)(req_ctx)) << 32) | 1u)
#define PORTICO_STOP ((uint64_t)0)

/* ---- http_handler imports (http-wasm HTTP handler ABI) ------------------------------------------------------ */

PORTICO_IMPORT("http_handler", "enable_features")
uint32_t http_handler_enable_features(uint32_t features);
PORTICO_IMPORT("http_handler", "get_config")
uint32_t http_handler_get_config(char *buf, uint32_t buf_limit);
PORTICO_IMPORT("http_handler", "log_enabled")
uint32_t http_handler_log_enabled(int32_t level);
PORTICO_IMPORT("http_handler", "log")
void http_handler_log(int32_t level, const char *message, uint32_t message_len);

PORTICO_IMPORT("http_handler", "get_method")
uint32_t http_handler_get_method(char *buf, uint32_t buf_limit);
PORTICO_IMPORT("http_handler", "set_method")
void http_handler_set_method(const char *method, uint32_t method_len);
PORTICO_IMPORT("http_handler", "get_uri")
uint32_t http_handler_get_uri(char *buf, uint32_t buf_limit);
PORTICO_IMPORT("http_handler", "set_uri")
void http_handler_set_uri(const char *uri, uint32_t uri_len);
PORTICO_IMPORT("http_handler", "get_protocol_version")
uint32_t http_handler_get_protocol_version(char *buf, uint32_t buf_limit);
PORTICO_IMPORT("http_handler", "get_source_addr")
uint32_t http_handler_get_source_addr(char *buf, uint32_t buf_limit);

/* Result: count<<32 | len; the names (or values) are written NUL-terminated when len <= buf_limit. */
PORTICO_IMPORT("http_handler", "get_header_names")
uint64_t http_handler_get_header_names(uint32_t kind, char *buf, uint32_t buf_limit);
PORTICO_IMPORT("http_handler", "get_header_values")
uint64_t http_handler_get_header_values(uint32_t kind, const char *name, uint32_t name_len, char *buf,
                                        uint32_t buf_limit);
PORTICO_IMPORT("http_handler", "set_header_value")
void http_handler_set_header_value(uint32_t kind, const char *name, uint32_t name_len, const char *value,
                                   uint32_t value_len);
PORTICO_IMPORT("http_handler", "add_header_value")
void http_handler_add_header_value(uint32_t kind, const char *name, uint32_t name_len, const char *value,
                                   uint32_t value_len);
PORTICO_IMPORT("http_handler", "remove_header")
void http_handler_remove_header(uint32_t kind, const char *name, uint32_t name_len);

/* Result: eof<<32 | len. buf_limit must not be zero. */
PORTICO_IMPORT("http_handler", "read_body")
uint64_t http_handler_read_body(uint32_t kind, char *buf, uint32_t buf_limit);
PORTICO_IMPORT("http_handler", "write_body")
void http_handler_write_body(uint32_t kind, const char *body, uint32_t body_len);

PORTICO_IMPORT("http_handler", "get_status_code")
uint32_t http_handler_get_status_code(void);
PORTICO_IMPORT("http_handler", "set_status_code")
void http_handler_set_status_code(uint32_t status_code);

/* ---- portico imports (Portico's extension; optional) -------------------------------------------------------- */

/* Result: found<<32 | len (probing). */
PORTICO_IMPORT("portico", "get_context_var")
uint64_t portico_host_get_context_var(const char *name, uint32_t name_len, char *buf, uint32_t buf_limit);
PORTICO_IMPORT("portico", "kv_get")
uint64_t portico_host_kv_get(const char *key, uint32_t key_len, char *buf, uint32_t buf_limit);
PORTICO_IMPORT("portico", "kv_set")
void portico_host_kv_set(const char *key, uint32_t key_len, const char *value, uint32_t value_len, int64_t ttl_ms);
PORTICO_IMPORT("portico", "counter_incr")
int64_t portico_host_counter_incr(const char *key, uint32_t key_len, int64_t delta, int64_t ttl_ms);
/* Result: the status, or PORTICO_CALL_NOT_ALLOWED / PORTICO_CALL_TIMEOUT / PORTICO_CALL_FAILED.
 * headers are "name: value\n" lines. timeout_ms 0 is the host's default. */
PORTICO_IMPORT("portico", "http_call")
int32_t portico_host_http_call(const char *method, uint32_t method_len, const char *url, uint32_t url_len,
                               const char *headers, uint32_t headers_len, const char *body, uint32_t body_len,
                               uint32_t timeout_ms);
/* The last http_call's response headers ("name: value\n" lines) and body (probing). */
PORTICO_IMPORT("portico", "http_call_response_headers")
uint32_t portico_host_http_call_response_headers(char *buf, uint32_t buf_limit);
PORTICO_IMPORT("portico", "http_call_response_body")
uint32_t portico_host_http_call_response_body(char *buf, uint32_t buf_limit);
PORTICO_IMPORT("portico", "now_unix_nano")
int64_t portico_host_now_unix_nano(void);
PORTICO_IMPORT("portico", "version")
int32_t portico_host_version(void);

/* ---- helpers ------------------------------------------------------------------------------------------------ */

/* portico_strlen is strlen without libc, so the SDK also works with -nostdlib. */
static inline uint32_t portico_strlen(const char *s) {
    uint32_t n = 0;
    while (s[n] != '\0') n++;
    return n;
}

/* portico_bytes_eq reports whether a[0:a_len] equals the C string b. */
static inline int portico_bytes_eq(const char *a, uint32_t a_len, const char *b) {
    uint32_t i = 0;
    for (; i < a_len; i++) {
        if (b[i] == '\0' || a[i] != b[i]) return 0;
    }
    return b[i] == '\0';
}

/* portico_enable_features enables features and returns all features the host now has enabled. */
static inline uint32_t portico_enable_features(uint32_t features) {
    return http_handler_enable_features(features);
}

/* portico_get_config writes the binding's config (JSON) into buf if it fits and returns its length either way:
 * a result greater than cap means buf is untouched and too small. */
static inline uint32_t portico_get_config(char *buf, uint32_t cap) { return http_handler_get_config(buf, cap); }

/* portico_log logs a C string at level (PORTICO_LOG_*). */
static inline void portico_log(int32_t level, const char *msg) {
    http_handler_log(level, msg, portico_strlen(msg));
}

/* portico_log_enabled reports whether level is logged, to skip building messages nobody reads. */
static inline int portico_log_enabled(int32_t level) { return http_handler_log_enabled(level) != 0; }

/* Request line. Getters return the length, and write into buf only when it fits (length <= cap). */
static inline uint32_t portico_get_method(char *buf, uint32_t cap) { return http_handler_get_method(buf, cap); }
static inline void portico_set_method(const char *method) {
    http_handler_set_method(method, portico_strlen(method));
}
static inline uint32_t portico_get_uri(char *buf, uint32_t cap) { return http_handler_get_uri(buf, cap); }
static inline void portico_set_uri(const char *uri) { http_handler_set_uri(uri, portico_strlen(uri)); }
static inline uint32_t portico_get_protocol_version(char *buf, uint32_t cap) {
    return http_handler_get_protocol_version(buf, cap);
}
static inline uint32_t portico_get_source_addr(char *buf, uint32_t cap) {
    return http_handler_get_source_addr(buf, cap);
}

/* portico_set_header replaces every value of header name (of kind PORTICO_HEADER_*) with value. */
static inline void portico_set_header(uint32_t kind, const char *name, const char *value) {
    http_handler_set_header_value(kind, name, portico_strlen(name), value, portico_strlen(value));
}

/* portico_add_header adds a value to header name. */
static inline void portico_add_header(uint32_t kind, const char *name, const char *value) {
    http_handler_add_header_value(kind, name, portico_strlen(name), value, portico_strlen(value));
}

/* portico_remove_header removes every value of header name. */
static inline void portico_remove_header(uint32_t kind, const char *name) {
    http_handler_remove_header(kind, name, portico_strlen(name));
}

/* portico_get_header reads the values of header name as "v1\0v2\0…". The result is the length they need including
 * their NUL terminators: 0 means the header is absent; a result greater than cap means buf is untouched; otherwise
 * buf holds the values and, read as a C string, is the first value. */
static inline uint32_t portico_get_header(uint32_t kind, const char *name, char *buf, uint32_t cap) {
    return (uint32_t)http_handler_get_header_values(kind, name, portico_strlen(name), buf, cap);
}

/* portico_get_header_names writes the header names of kind as "n1\0n2\0…" when they fit. The result is their total
 * length; *count (if not NULL) receives how many there are. Walk them with portico_next_string. */
static inline uint32_t portico_get_header_names(uint32_t kind, char *buf, uint32_t cap, uint32_t *count) {
    uint64_t cl = http_handler_get_header_names(kind, buf, cap);
    if (count) *count = (uint32_t)(cl >> 32);
    return (uint32_t)cl;
}

/* portico_next_string walks a NUL-separated list in [*pos, end): it returns the next string and advances *pos, or
 * returns NULL at the end. */
static inline const char *portico_next_string(const char **pos, const char *end) {
    const char *s = *pos;
    if (s >= end) return 0;
    while (*pos < end && **pos != '\0') (*pos)++;
    if (*pos < end) (*pos)++; /* skip the NUL */
    return s;
}

/* portico_read_body reads the next bytes of body kind into buf (cap > 0) and returns how many; *eof (if not NULL)
 * is set once the body is exhausted. Reading the request body needs PORTICO_FEATURE_BUFFER_REQUEST, reading the
 * response body PORTICO_FEATURE_BUFFER_RESPONSE. */
static inline uint32_t portico_read_body(uint32_t kind, char *buf, uint32_t cap, int *eof) {
    uint64_t el = http_handler_read_body(kind, buf, cap);
    if (eof) *eof = (el >> 32) != 0;
    return (uint32_t)el;
}

/* portico_write_body writes body bytes: the first write in a handler replaces the body, later ones append. */
static inline void portico_write_body(uint32_t kind, const char *body, uint32_t len) {
    http_handler_write_body(kind, body, len);
}

static inline uint32_t portico_get_status_code(void) { return http_handler_get_status_code(); }
static inline void portico_set_status_code(uint32_t status) { http_handler_set_status_code(status); }

/* portico_respond answers the request from the plugin: status, a content-type (NULL for none) and a C-string body.
 * Return PORTICO_STOP from handle_request afterwards. */
static inline void portico_respond(uint32_t status, const char *content_type, const char *body) {
    http_handler_set_status_code(status);
    if (content_type) portico_set_header(PORTICO_HEADER_RESPONSE, "content-type", content_type);
    http_handler_write_body(PORTICO_BODY_RESPONSE, body, portico_strlen(body));
}

/* ---- portico extension helpers ------------------------------------------------------------------------------ */

/* portico_get_context_var reads a context variable ("request.clientIp", "request.path.id", "request.header.x-user",
 * "request.query.page", "request.id", "stage.name", "service.id"). It returns 1 when the variable exists; *len
 * receives the value's length, and buf holds it only when *len <= cap. buf is not NUL-terminated. */
static inline int portico_get_context_var(const char *name, char *buf, uint32_t cap, uint32_t *len) {
    uint64_t fl = portico_host_get_context_var(name, portico_strlen(name), buf, cap);
    *len = (uint32_t)fl;
    return (fl >> 32) != 0;
}

/* portico_kv_get reads key from the plugin's own key-value namespace, like portico_get_context_var. */
static inline int portico_kv_get(const char *key, char *buf, uint32_t cap, uint32_t *len) {
    uint64_t fl = portico_host_kv_get(key, portico_strlen(key), buf, cap);
    *len = (uint32_t)fl;
    return (fl >> 32) != 0;
}

/* portico_kv_set stores value under key; ttl_ms 0 means no expiry. */
static inline void portico_kv_set(const char *key, const char *value, uint32_t value_len, int64_t ttl_ms) {
    portico_host_kv_set(key, portico_strlen(key), value, value_len, ttl_ms);
}

/* portico_counter_incr adds delta to the counter under key and returns the new value; a new counter expires after
 * ttl_ms. */
static inline int64_t portico_counter_incr(const char *key, int64_t delta, int64_t ttl_ms) {
    return portico_host_counter_incr(key, portico_strlen(key), delta, ttl_ms);
}

/* portico_http_call makes an outbound request to a destination on the plugin's allow-list. headers are
 * "name: value\n" lines (NULL for none), body may be NULL. The result is the status or a PORTICO_CALL_* error;
 * read the response with portico_http_call_response_headers / _body. */
static inline int32_t portico_http_call(const char *method, const char *url, const char *headers, const char *body,
                                        uint32_t body_len, uint32_t timeout_ms) {
    return portico_host_http_call(method, portico_strlen(method), url, portico_strlen(url), headers,
                                  headers ? portico_strlen(headers) : 0, body, body ? body_len : 0, timeout_ms);
}
static inline uint32_t portico_http_call_response_headers(char *buf, uint32_t cap) {
    return portico_host_http_call_response_headers(buf, cap);
}
static inline uint32_t portico_http_call_response_body(char *buf, uint32_t cap) {
    return portico_host_http_call_response_body(buf, cap);
}

static inline int64_t portico_now_unix_nano(void) { return portico_host_now_unix_nano(); }
static inline int32_t portico_version(void) { return portico_host_version(); }

#ifdef __cplusplus
}
#endif

#endif /* PORTICO_H */
