package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPluginNewBuildTest is the plugin developer loop: scaffold a Go plugin, build it, run it against a sample
// request without a server.
func TestPluginNewBuildTest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hello")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"plugin", "new", "--lang", "go", "--dir", dir, "--sdk", "../../wasm-sdk/go", "hello"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("sh", "./build.sh")
	build.Dir = dir
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, msg)
	}
	out.Reset()
	err := run(context.Background(), []string{"plugin", "test", filepath.Join(dir, "hello.wasm"),
		"--config", `{"header":"x-hello","value":"world"}`, "--request", "POST /orders?x=1",
		"-H", "X-In: a, b"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"request the backend receives", "POST /orders?x=1", "X-Hello: world", "X-In: a, b", "200 OK"} {
		if !strings.Contains(got, want) {
			t.Fatalf("output lacks %q:\n%s", want, got)
		}
	}

	// A bad config is refused by the plugin's own Init, with its message.
	err = run(context.Background(), []string{"plugin", "test", filepath.Join(dir, "hello.wasm"), "--config", `{"header":""}`}, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("a bad config was accepted")
	}
}

func TestPluginNewOtherLanguages(t *testing.T) {
	for _, tc := range []struct {
		lang, tool string
		files      []string
	}{
		{"c", "clang", []string{"hello.c", "build.sh", "sdk/portico.h", "README.md"}},
		{"assemblyscript", "npm", []string{"assembly/index.ts", "build.sh", "package.json", "sdk/assembly/index.ts", "README.md"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "hello")
			if err := run(context.Background(), []string{"plugin", "new", "--lang", tc.lang, "--dir", dir, "hello"}, io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.files {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Fatalf("missing %s: %v", f, err)
				}
			}
			if tc.lang != "c" {
				return // the AssemblyScript build downloads the compiler: the examples' own tests build it
			}
			if _, err := exec.LookPath(tc.tool); err != nil {
				if os.Getenv("PORTICO_REQUIRE_TOOLCHAINS") != "" {
					t.Fatalf("%s is required", tc.tool)
				}
				t.Skipf("skipping the build: %s not installed", tc.tool)
			}
			build := exec.Command("bash", "./build.sh")
			build.Dir = dir
			if msg, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, msg)
			}
			var out bytes.Buffer
			if err := run(context.Background(), []string{"plugin", "test", filepath.Join(dir, "hello.wasm"),
				"--config", `{"header":"x-c","value":"yes"}`}, &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "X-C: yes") {
				t.Fatalf("output:\n%s", out.String())
			}
		})
	}
	if err := run(context.Background(), []string{"plugin", "new", "--lang", "cobol", "x"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "choose one of") {
		t.Fatalf("unknown language: %v", err)
	}
}
