// Package c tests the C SDK: test/sdk-check.c, which calls every helper, runs on Portico's real WASM
// host (runtime/wasmhost) against an in-memory exchange, and what it reports is compared with what the host holds.
// test/abi-check.c (checked by examples/plugins/build-all.sh) covers the import signatures.
//
// Without the C toolchain the test skips, unless PORTICO_REQUIRE_TOOLCHAINS is set (for CI, which installs
// it).
package c

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/wasm-sdk/internal/sdktest"
)

// build compiles test/sdk-check.c as examples/plugins/c/add-header/build.sh compiles a plugin.
func build(t *testing.T) []byte {
	t.Helper()
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "clang"
	}
	if _, err := exec.LookPath(cc); err != nil {
		sdktest.ToolchainMissing(t, cc+" not found: apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32")
	}
	flags := []string{"--target=wasm32-wasi", "-mexec-model=reactor", "-O2"}
	if s := os.Getenv("WASI_SYSROOT"); s != "" {
		flags = append(flags, "--sysroot="+s)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "probe.c"), []byte("int f(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := sdktest.Run(dir, cc, append(flags, "-o", "probe.wasm", "probe.c")...); err != nil {
		sdktest.ToolchainMissing(t, "clang cannot build for wasm32-wasi (lld, wasi-libc, libclang-rt-14-dev-wasm32?):\n"+string(out))
	}
	wasm := filepath.Join(dir, "sdk-check.wasm")
	args := append(flags, "-Wall", "-Wextra", "-Werror", "-I", ".", "-o", wasm, "test/sdk-check.c")
	if out, err := sdktest.Run(".", cc, args...); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
	b, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSDK(t *testing.T) {
	if got := sdktest.RunSDKCheck(t, build(t), ""); got != sdktest.WantReport {
		t.Fatalf("sdk-check reported:\n%s\nwant:\n%s", got, sdktest.WantReport)
	}
}
