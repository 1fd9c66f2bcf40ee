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

#define CONFIG_MAX 4096
#define FIELD_MAX 256

static char header_name[FIELD_MAX];
static char header_value[FIELD_MAX];
static int loaded;

/* ---- a minimal JSON reader: string fields are decoded, every other value is skipped ------------------------- */

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

/* put appends c to out[0:cap-1], keeping room for the NUL. */
static int put(char *out, uint32_t cap, uint32_t *n, unsigned c) {
    if (*n + 1 >= cap) return 0;
    out[(*n)++] = (char)c;
    return 1;
}

/* read_string reads a JSON string into out (NUL-terminated, at most cap-1 bytes). \uXXXX escapes are encoded as
 * UTF-8; \u0000 and surrogate pairs are rejected (neither belongs in a header). */
static int read_string(reader *r, char *out, uint32_t cap) {
    uint32_t n = 0;
    if (!expect(r, '"')) return 0;
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p++;
        if (c < 0x20) return 0;
        if (c != '\\') {
            if (!put(out, cap, &n, c)) return 0;
            continue;
        }
        if (r->p >= r->end) return 0;
        switch (*r->p++) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case '/': c = '/'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
            unsigned v = 0;
            for (int i = 0; i < 4; i++) {
                int h = r->p < r->end ? hex(*r->p++) : -1;
                if (h < 0) return 0;
                v = v * 16 + (unsigned)h;
            }
            if (v == 0 || (v >= 0xd800 && v <= 0xdfff)) return 0;
            if (v < 0x80) {
                c = (unsigned char)v;
                break;
            }
            if (v < 0x800) {
                if (!put(out, cap, &n, 0xc0 | (v >> 6))) return 0;
            } else {
                if (!put(out, cap, &n, 0xe0 | (v >> 12)) || !put(out, cap, &n, 0x80 | ((v >> 6) & 0x3f))) return 0;
            }
            c = 0x80 | (v & 0x3f);
            break;
        }
        default: return 0;
        }
        if (!put(out, cap, &n, c)) return 0;
    }
    if (!expect(r, '"')) return 0;
    out[n] = '\0';
    return 1;
}

/* skip_value skips any JSON value (fields this plugin does not know are ignored, as Go's encoding/json does). */
static int skip_value(reader *r, int depth) {
    skip_space(r);
    if (r->p >= r->end || depth > 32) return 0;
    char c = *r->p;
    if (c == '"') {
        /* read_string with a tiny buffer would fail on long strings: scan instead */
        r->p++;
        while (r->p < r->end && *r->p != '"') r->p += (*r->p == '\\') ? 2 : 1;
        if (r->p >= r->end) return 0;
        r->p++;
        return 1;
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        r->p++;
        skip_space(r);
        if (r->p < r->end && *r->p == close) { r->p++; return 1; }
        for (;;) {
            if (c == '{') {
                if (!skip_value(r, depth + 1) || !expect(r, ':')) return 0;
            }
            if (!skip_value(r, depth + 1)) return 0;
            if (expect(r, ',')) continue;
            return expect(r, close);
        }
    }
    const char *start = r->p; /* number, true, false, null */
    while (r->p < r->end && ((*r->p >= '0' && *r->p <= '9') || (*r->p >= 'a' && *r->p <= 'z') || *r->p == '-' ||
                             *r->p == '+' || *r->p == '.' || *r->p == 'E'))
        r->p++;
    return r->p > start;
}

/* has_any reports whether s contains one of the bytes in set. */
static int has_any(const char *s, const char *set) {
    for (; *s; s++)
        for (const char *t = set; *t; t++)
            if (*s == *t) return 1;
    return 0;
}

/* parse_config fills header_name and header_value from {"header": "...", "value": "..."}, with the same rules as
 * the Go example (examples/plugins/go/add-header): unknown fields are ignored, "value" may be absent (empty). It
 * returns an error message, or NULL. */
static const char *parse_config(const char *json, uint32_t len) {
    reader r = {json, json + len};
    char key[16];

    header_name[0] = header_value[0] = '\0';
    if (!expect(&r, '{')) return "add-header: config: not a JSON object";
    skip_space(&r);
    if (r.p < r.end && *r.p == '}') {
        r.p++;
    } else {
        for (;;) {
            const char *key_start = r.p;
            if (!read_string(&r, key, sizeof key)) {
                r.p = key_start; /* a long key is no field of ours: skip it */
                if (!skip_value(&r, 0)) return "add-header: config: expected a field name";
                key[0] = '\0';
            }
            if (!expect(&r, ':')) return "add-header: config: expected ':'";
            if (portico_bytes_eq(key, portico_strlen(key), "header")) {
                if (!read_string(&r, header_name, sizeof header_name))
                    return "add-header: config: \"header\" must be a string of at most 255 bytes";
            } else if (portico_bytes_eq(key, portico_strlen(key), "value")) {
                if (!read_string(&r, header_value, sizeof header_value))
                    return "add-header: config: \"value\" must be a string of at most 255 bytes";
            } else if (!skip_value(&r, 0)) {
                return "add-header: config: malformed JSON value";
            }
            if (expect(&r, ',')) continue;
            if (expect(&r, '}')) break;
            return "add-header: config: expected ',' or '}'";
        }
    }
    skip_space(&r);
    if (r.p != r.end) return "add-header: config: trailing data after the object";
    if (header_name[0] == '\0' || has_any(header_name, " \t\r\n:")) {
        return "add-header: config: \"header\" must be a header name";
    }
    if (has_any(header_value, "\r\n")) return "add-header: config: \"value\" must not contain CR, LF or NUL";
    return 0;
}

/* ---- the plugin ---------------------------------------------------------------------------------------------- */

static void load_config(void) {
    static char config[CONFIG_MAX];
    uint32_t len = portico_get_config(config, sizeof config);
    const char *err = len > sizeof config ? "add-header: config is larger than 4 KiB" : parse_config(config, len);
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
