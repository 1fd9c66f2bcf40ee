//go:build wasip1

package portico

// The guest exports. `memory` and `_initialize` come from the Go toolchain (-buildmode=c-shared); `_initialize`
// runs the package inits, and with them the plugin's Init function (see Init).

//go:wasmexport handle_request
func exportHandleRequest() uint64 { return handleRequest() }

//go:wasmexport handle_response
func exportHandleResponse(reqCtx, isError uint32) { handleResponse(reqCtx, isError) }

// runInit runs an Init function at once: Init is called from a package init, which inside the host is part of
// `_initialize`, where get_config is allowed. A failure is logged and then panics, so `_initialize` traps and the
// module fails to load at deploy time rather than on a request.
func runInit(fn func(config []byte) error) {
	if err := fn(Config()); err != nil {
		msg := "init: " + err.Error()
		logMessage(int32(LogError), msg)
		panic(msg)
	}
}
