package wasmhost

import (
	"context"

	"github.com/tetratelabs/wazero/api"

	"github.com/portico-gateway/portico/runtime/abi"
)

// The http_handler host functions. Each one finds its instance through the call's context (the instance's own,
// passed to every guest call, so finding it allocates nothing), reads its parameters off the stack and calls the
// request's Exchange. Refusals fault, which fails the request (see guestFault).

const supportedFeatures = abi.FeatureBufferRequest | abi.FeatureBufferResponse | abi.FeatureTrailers |
	abi.FeatureNoResponse

func enableFeatures(ctx context.Context, _ api.Module, stack []uint64) {
	in := current(ctx)
	f := abi.Features(uint32(stack[0])) & supportedFeatures
	if in.ex == nil {
		// During _start/_initialize: the features hold for every request this instance serves (http-wasm lets a
		// guest enable them once at start).
		in.features |= f
		stack[0] = uint64(in.features)
		return
	}
	// FeatureNoResponse concerns this instance and this request only; the exchange, shared by the route's other
	// plugins, never sees it.
	if f&abi.FeatureNoResponse != 0 {
		in.noResponse = true
	}
	stack[0] = uint64(in.ex.EnableFeatures(f&^abi.FeatureNoResponse) | f&abi.FeatureNoResponse)
}

func getConfig(ctx context.Context, mod api.Module, stack []uint64) {
	in := current(ctx)
	stack[0] = uint64(writeIfFits(mod, "get_config", uint32(stack[0]), uint32(stack[1]), in.p.config))
}

func logEnabled(ctx context.Context, _ api.Module, stack []uint64) {
	in := current(ctx)
	level := abi.LogLevel(int32(uint32(stack[0])))
	if in.logEnabled(level) {
		stack[0] = 1
	} else {
		stack[0] = 0
	}
}

func logMessage(ctx context.Context, mod api.Module, stack []uint64) {
	in := current(ctx)
	level := abi.LogLevel(int32(uint32(stack[0])))
	if !in.logEnabled(level) {
		return
	}
	msg := guestBytes(mod, "log", uint32(stack[1]), uint32(stack[2]))
	if in.ex != nil {
		in.ex.Log(level, msg)
		return
	}
	in.p.log.Log(context.Background(), slogLevel(level), string(msg))
}

func getMethod(ctx context.Context, mod api.Module, stack []uint64) {
	ex := current(ctx).exchange("get_method")
	stack[0] = uint64(writeIfFits(mod, "get_method", uint32(stack[0]), uint32(stack[1]), ex.Method()))
}

func setMethod(ctx context.Context, mod api.Module, stack []uint64) {
	ex := current(ctx).exchange("set_method")
	checkErr("set_method", ex.SetMethod(guestBytes(mod, "set_method", uint32(stack[0]), uint32(stack[1]))))
}

func getURI(ctx context.Context, mod api.Module, stack []uint64) {
	ex := current(ctx).exchange("get_uri")
	stack[0] = uint64(writeIfFits(mod, "get_uri", uint32(stack[0]), uint32(stack[1]), ex.URI()))
}

func setURI(ctx context.Context, mod api.Module, stack []uint64) {
	ex := current(ctx).exchange("set_uri")
	checkErr("set_uri", ex.SetURI(guestBytes(mod, "set_uri", uint32(stack[0]), uint32(stack[1]))))
}

func getProtocolVersion(ctx context.Context, mod api.Module, stack []uint64) {
	ex := current(ctx).exchange("get_protocol_version")
	stack[0] = uint64(writeIfFits(mod, "get_protocol_version", uint32(stack[0]), uint32(stack[1]),
		ex.ProtocolVersion()))
}

func getHeaderNames(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "get_header_names"
	in := current(ctx)
	ex := in.exchange(name)
	kind := headerKind(name, stack[0])
	var count int
	in.scratch, count = ex.AppendHeaderNames(kind, in.scratch[:0])
	stack[0] = writeList(mod, name, uint32(stack[1]), uint32(stack[2]), in.scratch, count)
}

func getHeaderValues(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "get_header_values"
	in := current(ctx)
	ex := in.exchange(name)
	kind := headerKind(name, stack[0])
	header := nonEmpty(name, guestBytes(mod, name, uint32(stack[1]), uint32(stack[2])))
	var count int
	in.scratch, count = ex.AppendHeaderValues(kind, header, in.scratch[:0])
	stack[0] = writeList(mod, name, uint32(stack[3]), uint32(stack[4]), in.scratch, count)
}

func setHeaderValue(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "set_header_value"
	ex := current(ctx).exchange(name)
	header := guestBytes(mod, name, uint32(stack[1]), uint32(stack[2]))
	value := guestBytes(mod, name, uint32(stack[3]), uint32(stack[4]))
	checkErr(name, ex.SetHeader(abi.HeaderKind(uint32(stack[0])), header, value))
}

func addHeaderValue(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "add_header_value"
	ex := current(ctx).exchange(name)
	header := guestBytes(mod, name, uint32(stack[1]), uint32(stack[2]))
	value := guestBytes(mod, name, uint32(stack[3]), uint32(stack[4]))
	checkErr(name, ex.AddHeader(abi.HeaderKind(uint32(stack[0])), header, value))
}

func removeHeader(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "remove_header"
	ex := current(ctx).exchange(name)
	header := guestBytes(mod, name, uint32(stack[1]), uint32(stack[2]))
	checkErr(name, ex.RemoveHeader(abi.HeaderKind(uint32(stack[0])), header))
}

func readBody(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "read_body"
	ex := current(ctx).exchange(name)
	limit := uint32(stack[2])
	if limit == 0 {
		fault(name, errBufLimit) // as upstream: a zero limit could never report EOF
	}
	n, eof, err := ex.ReadBody(abi.BodyKind(uint32(stack[0])), guestBytes(mod, name, uint32(stack[1]), limit))
	checkErr(name, err)
	stack[0] = uint64(n)
	if eof {
		stack[0] |= 1 << 32
	}
}

func writeBody(ctx context.Context, mod api.Module, stack []uint64) {
	const name = "write_body"
	in := current(ctx)
	ex := in.exchange(name)
	kind := abi.BodyKind(uint32(stack[0]))
	checkErr(name, ex.WriteBody(kind, guestBytes(mod, name, uint32(stack[1]), uint32(stack[2]))))
	if kind == abi.BodyResponse {
		in.wroteResponse = true
	}
}

func getStatusCode(ctx context.Context, _ api.Module, stack []uint64) {
	stack[0] = uint64(current(ctx).exchange("get_status_code").StatusCode())
}

func setStatusCode(ctx context.Context, _ api.Module, stack []uint64) {
	ex := current(ctx).exchange("set_status_code")
	checkErr("set_status_code", ex.SetStatusCode(uint32(stack[0])))
}

func getSourceAddr(ctx context.Context, mod api.Module, stack []uint64) {
	ex := current(ctx).exchange("get_source_addr")
	stack[0] = uint64(writeIfFits(mod, "get_source_addr", uint32(stack[0]), uint32(stack[1]), ex.SourceAddr()))
}

func nonEmpty(fn string, b []byte) []byte {
	if len(b) == 0 {
		fault(fn, errEmptyName)
	}
	return b
}
