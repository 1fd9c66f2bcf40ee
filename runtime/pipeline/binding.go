package pipeline

import (
	"log/slog"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
)

// KV is the per-plugin key-value and counter store behind kv_get, kv_set and counter_incr (the same store the
// built-in rate limiter uses). Namespaces keep plugins apart.
type KV interface {
	Get(namespace, key, dst []byte) ([]byte, bool)
	Set(namespace, key, value []byte, ttl time.Duration)
	Incr(namespace, key []byte, delta int64, ttl time.Duration) int64
}

// Caller makes the outbound requests of http_call for one binding, enforcing its allow-list and timeouts.
type Caller interface {
	Call(req *abi.CallRequest, resp *abi.CallResponse) error
}

// Binding is a compiled plugin binding of one route.
type Binding struct {
	Name      string // the plugin type (and module, for WASM), for logs
	Plugin    abi.Plugin
	Phase     abi.Phase
	Namespace []byte // KV namespace
	KV        KV
	Caller    Caller
}

// slogLevel maps http-wasm log levels onto slog's.
func slogLevel(l abi.LogLevel) slog.Level {
	switch l {
	case abi.LogDebug:
		return slog.LevelDebug
	case abi.LogInfo:
		return slog.LevelInfo
	case abi.LogWarn:
		return slog.LevelWarn
	}
	return slog.LevelError
}
