// Package wasmsdk runs the tests of the Go modules that live beside the gateway's own — the Go SDK and the Go
// example plugins are separate modules so that a plugin never pulls the gateway's dependencies — so that the one
// test command of the README covers them too.
package wasmsdk

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestGoModules(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the nested module tests in -short mode")
	}
	for _, dir := range []string{"go", filepath.Join("..", "examples", "plugins", "go")} {
		t.Run(dir, func(t *testing.T) {
			cmd := exec.Command("go", "test", "-count=1", "./...")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go test ./... in %s: %v\n%s", dir, err, out)
			}
			t.Logf("%s", out)
		})
	}
}
