module github.com/portico-gateway/portico/wasm-sdk/go

go 1.24
