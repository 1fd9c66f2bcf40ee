// Package builtins links every built-in plugin into the binary: each package registers its plugin types with the
// ABI's default registry from init(), the way Caddy modules do. Built-ins are written against runtime/abi only.
package builtins

import (
	_ "github.com/portico-gateway/portico/builtins/apikey"    // api-key (stage setting: API key and usage plan)
	_ "github.com/portico-gateway/portico/builtins/cors"      // cors
	_ "github.com/portico-gateway/portico/builtins/headers"   // request-header, response-header
	_ "github.com/portico-gateway/portico/builtins/hmac"      // hmac (stage setting auth)
	_ "github.com/portico-gateway/portico/builtins/ipacl"     // ip-acl (stage setting)
	_ "github.com/portico-gateway/portico/builtins/jwt"       // jwt (stage setting auth)
	_ "github.com/portico-gateway/portico/builtins/precall"   // pre-call (stage setting)
	_ "github.com/portico-gateway/portico/builtins/query"     // query-param
	_ "github.com/portico-gateway/portico/builtins/ratelimit" // rate-limit (stage setting)
	_ "github.com/portico-gateway/portico/builtins/wasm"      // wasm (user plugins)
)
