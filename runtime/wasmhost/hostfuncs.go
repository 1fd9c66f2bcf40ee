package wasmhost

import (
	"context"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Import module names.
const (
	moduleHTTPHandler = "http_handler"
	modulePortico     = "portico"
	moduleWASI        = "wasi_snapshot_preview1"
)

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// hostFunc is one host function: its exact signature (checked against guest imports at upload) and its
// stack-based implementation. Stack-based functions (api.GoModuleFunc) take parameters from and leave results on
// a []uint64 wazero reuses, so a call allocates nothing.
type hostFunc struct {
	name       string
	params     []api.ValueType
	paramNames []string
	results    []api.ValueType
	fn         api.GoModuleFunc
}

func typeList(ts []api.ValueType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = api.ValueTypeName(t)
	}
	return strings.Join(names, ", ")
}

func fn(name string, f api.GoModuleFunc, params string, results ...api.ValueType) hostFunc {
	h := hostFunc{name: name, results: results, fn: f}
	for p := range strings.FieldsSeq(params) {
		n, typ, _ := strings.Cut(p, ":")
		h.paramNames = append(h.paramNames, n)
		if typ == "i64" {
			h.params = append(h.params, i64)
		} else {
			h.params = append(h.params, i32)
		}
	}
	return h
}

// httpHandlerFuncs is the http_handler module, with http-wasm's exact names and signatures.
var httpHandlerFuncs = []hostFunc{
	fn("enable_features", enableFeatures, "features", i32),
	fn("get_config", getConfig, "buf buf_limit", i32),
	fn("log_enabled", logEnabled, "level", i32),
	fn("log", logMessage, "level message message_len"),
	fn("get_method", getMethod, "buf buf_limit", i32),
	fn("set_method", setMethod, "method method_len"),
	fn("get_uri", getURI, "buf buf_limit", i32),
	fn("set_uri", setURI, "uri uri_len"),
	fn("get_protocol_version", getProtocolVersion, "buf buf_limit", i32),
	fn("get_header_names", getHeaderNames, "kind buf buf_limit", i64),
	fn("get_header_values", getHeaderValues, "kind name name_len buf buf_limit", i64),
	fn("set_header_value", setHeaderValue, "kind name name_len value value_len"),
	fn("add_header_value", addHeaderValue, "kind name name_len value value_len"),
	fn("remove_header", removeHeader, "kind name name_len"),
	fn("read_body", readBody, "kind buf buf_limit", i64),
	fn("write_body", writeBody, "kind body body_len"),
	fn("get_status_code", getStatusCode, "", i32),
	fn("set_status_code", setStatusCode, "status_code"),
	fn("get_source_addr", getSourceAddr, "buf buf_limit", i32),
}

// porticoFuncs is Portico's extension module. The signatures are a public contract (wasm-sdk/ABI.md): extend by
// adding functions and bumping abi.Version, never by changing one.
var porticoFuncs = []hostFunc{
	fn("version", version, "", i32),
	fn("get_context_var", getContextVar, "name name_len buf buf_limit", i64),
	fn("kv_get", kvGet, "key key_len buf buf_limit", i64),
	fn("kv_set", kvSet, "key key_len value value_len ttl_ms:i64"),
	fn("counter_incr", counterIncr, "key key_len delta:i64 ttl_ms:i64", i64),
	fn("http_call", httpCall,
		"method method_len url url_len headers headers_len body body_len timeout_ms", i32),
	fn("http_call_response_headers", httpCallResponseHeaders, "buf buf_limit", i32),
	fn("http_call_response_body", httpCallResponseBody, "buf buf_limit", i32),
	fn("now_unix_nano", nowUnixNano, "", i64),
}

// runtimeFuncs is the hidden module only instrumented guests import (interrupt.go).
var runtimeFuncs = []hostFunc{
	fn(funcYield, yield, ""),
}

// instantiateHostModule registers funcs as the import module name in r.
func instantiateHostModule(ctx context.Context, r wazero.Runtime, name string, funcs []hostFunc) error {
	b := r.NewHostModuleBuilder(name)
	for i := range funcs {
		f := &funcs[i]
		b.NewFunctionBuilder().
			WithGoModuleFunction(f.fn, f.params, f.results).
			WithParameterNames(f.paramNames...).
			Export(f.name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("wasmhost: host module %s: %w", name, err)
	}
	return nil
}
