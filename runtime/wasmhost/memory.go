package wasmhost

import (
	"errors"

	"github.com/tetratelabs/wazero/api"

	"github.com/portico-gateway/portico/runtime/abi"
)

// guestFault is what a host function panics with when it refuses a guest's call: a pointer outside memory, a call
// outside a request, or an error from the Exchange (wrong phase, invalid header…). wazero turns the panic into a
// failed call (wrapping the value with %w), which fails the request and discards the instance; errors.As finds the
// fault again so the log can name the host function.
type guestFault struct {
	fn  string
	err error
}

func (f *guestFault) Error() string { return f.fn + ": " + f.err.Error() }
func (f *guestFault) Unwrap() error { return f.err }

var (
	errOutOfRange = errors.New("pointer and length outside the guest's memory")
	errNoRequest  = errors.New("called outside a request (during _start or _initialize)")
	errBufLimit   = errors.New("buf_limit is 0")
	errEmptyName  = errors.New("empty name")
)

func fault(fn string, err error) { panic(&guestFault{fn: fn, err: err}) }

// guestBytes returns a view of n bytes of guest memory at ptr, or faults. The view is valid until the guest runs
// again (memory can grow and move), which host functions never outlive.
func guestBytes(mod api.Module, fn string, ptr, n uint32) []byte {
	if n == 0 {
		return nil
	}
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		fault(fn, errOutOfRange)
	}
	return b
}

// writeIfFits implements buf_limit probing: v is written at buf only when it fits in limit; its length is the
// result either way, so a guest can call again with a bigger buffer.
func writeIfFits(mod api.Module, fn string, buf, limit uint32, v []byte) uint32 {
	n := uint32(len(v))
	if n == 0 || n > limit {
		return n
	}
	if !mod.Memory().Write(buf, v) {
		fault(fn, errOutOfRange)
	}
	return n
}

// writeList writes a NUL-terminated list when it fits and returns count<<32 | len (0 for an empty list).
func writeList(mod api.Module, fn string, buf, limit uint32, list []byte, count int) uint64 {
	if count == 0 {
		return 0
	}
	n := writeIfFits(mod, fn, buf, limit, list)
	return uint64(count)<<32 | uint64(n)
}

// writeFound writes v when it fits and returns found<<32 | len (0 when not found).
func writeFound(mod api.Module, fn string, buf, limit uint32, v []byte, found bool) uint64 {
	if !found {
		return 0
	}
	return 1<<32 | uint64(writeIfFits(mod, fn, buf, limit, v))
}

func checkErr(fn string, err error) {
	if err != nil {
		fault(fn, err)
	}
}

func headerKind(fn string, v uint64) abi.HeaderKind {
	k := abi.HeaderKind(uint32(v))
	if k > abi.HeaderResponseTrailers {
		fault(fn, abi.ErrInvalid)
	}
	return k
}
