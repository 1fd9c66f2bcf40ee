module github.com/portico-gateway/portico/examples/plugins/go

go 1.24

require github.com/portico-gateway/portico/wasm-sdk/go v0.0.0-00010101000000-000000000000

// The SDK is used from this repository. A plugin of your own requires a released version instead.
replace github.com/portico-gateway/portico/wasm-sdk/go => ../../../wasm-sdk/go
