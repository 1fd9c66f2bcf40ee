/*
 * add-header sets one request header, named and valued by the binding's config, before the request goes on:
 *
 *     {"header": "x-from-wasm", "value": "yes"}
 *
 * The config is read once per instance, when the host runs _initialize, so a bad config fails the instance (and
 * the deploy that creates it) instead of a request. No malloc: the config and the parsed strings live in static
 * buffers.
 */
#include "portico.h"

#define CONFIG_MAX 1024
#define FIELD_MAX 256

static char header_name[FIELD_MAX];
static char header_value[FIELD_MAX];
static int loaded;

/* ---- a minimal JSON reader for a flat object of string fields ---------------------------------------------- */

typedef struct {
    const char *p, *end;
} reader;

static void skip_space(reader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static int expect(reader *r, char c) {
    skip_space(r);
    if (r->p >= r->end || *r->p != c) return 0;
    r->p++;
    return 1;
}

static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* read_string reads a JSON string into out (NUL-terminated, at most cap-1 bytes). \uXXXX is accepted for ASCII
 * only, which is all a header name or value may hold anyway. */
static int read_string(reader *r, char *out, uint32_t cap) {
    uint32_t n = 0;
    if (!expect(r, '"')) return 0;
    while (r->p < r->end && *r->p != '"') {
        char c = *r->p++;
        if (c == '\\') {
            if (r->p >= r->end) return 0;
            char e = *r->p++;
            switch (e) {
            case '"': case '\\': case '/': c = e; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                int v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = r->p < r->end ? hex(*r->p++) : -1;
                    if (h < 0) return 0;
                    v = v * 16 + h;
                }
                if (v == 0 || v > 0x7f) return 0;
                c = (char)v;
                break;
            }
            default: return 0;
            }
        } else if ((unsigned char)c < 0x20) {
            return 0;
        }
        if (n + 1 >= cap) return 0;
        out[n++] = c;
    }
    if (!expect(r, '"')) return 0;
    out[n] = '\0';
    return 1;
}

/* parse_config fills header_name and header_value from {"header": "...", "value": "..."}; it returns an error
 * message, or NULL. */
static const char *parse_config(const char *json, uint32_t len) {
    reader r = {json, json + len};
    char key[16];
    int have_header = 0, have_value = 0;

    if (!expect(&r, '{')) return "config must be a JSON object";
    skip_space(&r);
    if (r.p < r.end && *r.p == '}') {
        r.p++;
    } else {
        for (;;) {
            if (!read_string(&r, key, sizeof key)) return "config: expected a field name";
            if (!expect(&r, ':')) return "config: expected ':'";
            if (portico_bytes_eq(key, portico_strlen(key), "header")) {
                if (!read_string(&r, header_name, sizeof header_name)) return "config.header must be a string";
                have_header = 1;
            } else if (portico_bytes_eq(key, portico_strlen(key), "value")) {
                if (!read_string(&r, header_value, sizeof header_value)) return "config.value must be a string";
                have_value = 1;
            } else {
                return "config: unknown field (want header, value)";
            }
            skip_space(&r);
            if (r.p < r.end && *r.p == ',') { r.p++; continue; }
            if (expect(&r, '}')) break;
            return "config: expected ',' or '}'";
        }
    }
    skip_space(&r);
    if (r.p != r.end) return "config: trailing data after the object";
    if (!have_header || header_name[0] == '\0') return "config.header is required";
    if (!have_value) return "config.value is required";
    return 0;
}

/* ---- the plugin ---------------------------------------------------------------------------------------------- */

static void load_config(void) {
    static char config[CONFIG_MAX];
    uint32_t len = portico_get_config(config, sizeof config);
    const char *err = len > sizeof config ? "config is larger than 1 KiB" : parse_config(config, len);
    if (err) {
        portico_log(PORTICO_LOG_ERROR, err);
        __builtin_trap(); /* fail the instance: the host reports the log line */
    }
    loaded = 1;
}

/* Runs in _initialize (wasi-libc's reactor entry point calls constructors). */
__attribute__((constructor)) static void init(void) { load_config(); }

PORTICO_EXPORT("handle_request") uint64_t handle_request(void) {
    if (!loaded) load_config(); /* a host that does not call _initialize */
    portico_set_header(PORTICO_HEADER_REQUEST, header_name, header_value);
    return PORTICO_NEXT(0);
}

PORTICO_EXPORT("handle_response") void handle_response(uint32_t req_ctx, uint32_t is_error) {
    (void)req_ctx;
    (void)is_error;
}
