// Package assemblyscript tests the AssemblyScript example plugins. add-header runs on Portico's real WASM host
// (runtime/wasmhost) against an in-memory exchange, with the same cases as the Go example
// (examples/plugins/go/add-header), so that the AssemblyScript and Go versions behave alike.
//
// The module is built with ../build-all.sh, which also checks its imports and exports against the ABI. Without
// the AssemblyScript toolchain the tests skip, unless PORTICO_REQUIRE_TOOLCHAINS is set (for CI, which installs it).
package assemblyscript

import (
	"testing"

	"github.com/portico-gateway/portico/examples/plugins/internal/exampletest"
)

const lang = "assemblyscript"

func TestAddHeader(t *testing.T) { exampletest.RunAddHeader(t, exampletest.Build(t, lang)) }

func TestAddHeaderConfig(t *testing.T) { exampletest.RunAddHeaderConfig(t, exampletest.Build(t, lang)) }
