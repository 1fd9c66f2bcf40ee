// Package docs holds the user documentation; its tests keep the documents true to the code.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryErrorCodeIsDocumented finds the error-code constants in the source and checks that errors.md lists each.
func TestEveryErrorCodeIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("errors.md")
	if err != nil {
		t.Fatal(err)
	}
	constRe := regexp.MustCompile(`(?m)^\s*(?:const )?[cC]ode[A-Za-z]*\s*=\s*"([a-z_]+)"`)
	var files []string
	dirs := []string{"../runtime/pipeline", "../runtime/admin", "../runtime/deploy", "../runtime/wasmhost", "../storage"}
	builtins, _ := filepath.Glob("../builtins/*")
	for _, dir := range append(dirs, builtins...) {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		files = append(files, matches...)
	}
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range constRe.FindAllStringSubmatch(string(src), -1) {
			found++
			if !strings.Contains(string(doc), "`"+m[1]+"`") {
				t.Errorf("%s: error code %q is not in docs/errors.md", f, m[1])
			}
		}
	}
	if found < 20 {
		t.Fatalf("found only %d error codes: the pattern no longer matches the source", found)
	}
}
