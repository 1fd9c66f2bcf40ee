package portico

import "strconv"

// Features are http-wasm feature flags (enable_features).
type Features uint32

const (
	// FeatureBufferRequest keeps the request body readable without consuming it: the body the plugin read still
	// reaches the backend unless the plugin rewrote it, and it stays readable after next.
	FeatureBufferRequest Features = 1 << 0
	// FeatureBufferResponse buffers the response so that HandleResponse can read and rewrite its status, headers
	// and body.
	FeatureBufferResponse Features = 1 << 1
	// FeatureTrailers enables access to request and response trailers.
	FeatureTrailers Features = 1 << 2

	// featureNoResponse (Portico's extension, bit 16) tells the host the plugin has no HandleResponse, so it can
	// reuse the instance while the backend answers. The SDK sets it itself when no HandleResponse is registered.
	featureNoResponse Features = 1 << 16
)

// Has reports whether f includes every feature of want.
func (f Features) Has(want Features) bool { return f&want == want }

func (f Features) String() string {
	if f == 0 {
		return "none"
	}
	s := ""
	for _, n := range [...]struct {
		f    Features
		name string
	}{{FeatureBufferRequest, "buffer_request"}, {FeatureBufferResponse, "buffer_response"}, {FeatureTrailers, "trailers"}} {
		if f&n.f != 0 {
			if s != "" {
				s += "|"
			}
			s += n.name
		}
	}
	if rest := f &^ (FeatureBufferRequest | FeatureBufferResponse | FeatureTrailers); rest != 0 {
		if s != "" {
			s += "|"
		}
		s += "0x" + strconv.FormatUint(uint64(rest), 16)
	}
	return s
}

// LogLevel is an http-wasm log level.
type LogLevel int32

const (
	LogDebug LogLevel = -1
	LogInfo  LogLevel = 0
	LogWarn  LogLevel = 1
	LogError LogLevel = 2
	LogNone  LogLevel = 3
)

func (l LogLevel) String() string {
	switch l {
	case LogDebug:
		return "debug"
	case LogInfo:
		return "info"
	case LogWarn:
		return "warn"
	case LogError:
		return "error"
	case LogNone:
		return "none"
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// headerKind selects a header set (http-wasm header_kind).
type headerKind uint32

const (
	headerRequest          headerKind = 0
	headerResponse         headerKind = 1
	headerRequestTrailers  headerKind = 2
	headerResponseTrailers headerKind = 3
)

// bodyKind selects a body (http-wasm body_kind).
type bodyKind uint32

const (
	bodyRequest  bodyKind = 0
	bodyResponse bodyKind = 1
)
