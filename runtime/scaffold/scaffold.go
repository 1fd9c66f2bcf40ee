// Package scaffold creates a new plugin project (`portico plugin new --lang go|c|assemblyscript NAME`): a working
// header-setting plugin in the chosen language, its build script and the SDK it needs, ready to build, test with
// `portico plugin test` and upload with `portico module add`.
package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	portico "github.com/portico-gateway/portico"
)

// Languages lists what New supports.
var Languages = []string{"go", "c", "assemblyscript"}

var nameRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// Options are the inputs of New.
type Options struct {
	Dir  string // the project directory to create (must not exist)
	Name string // the plugin's name: [a-z][a-z0-9-]*
	Lang string
	// GoSDK is the path of the Go SDK module (a Portico checkout's wasm-sdk/go). Found automatically when empty.
	GoSDK string
}

// New writes the project and returns the files it wrote, relative to Dir.
func New(o Options) ([]string, error) {
	if !nameRe.MatchString(o.Name) {
		return nil, fmt.Errorf("plugin name %q: use lower-case letters, digits and '-', starting with a letter", o.Name)
	}
	if _, err := os.Stat(o.Dir); err == nil {
		return nil, fmt.Errorf("%s already exists: choose another directory", o.Dir)
	}
	files := map[string][]byte{}
	var err error
	switch o.Lang {
	case "go":
		err = goProject(o, files)
	case "c":
		err = cProject(o, files)
	case "assemblyscript", "as":
		err = asProject(o, files)
	default:
		err = fmt.Errorf("language %q: choose one of %s", o.Lang, strings.Join(Languages, ", "))
	}
	if err != nil {
		return nil, err
	}
	var written []string
	for rel, data := range files {
		path := filepath.Join(o.Dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(rel, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(path, data, mode); err != nil {
			return nil, err
		}
		written = append(written, rel)
	}
	return written, nil
}

func embedded(path string) []byte {
	b, err := fs.ReadFile(portico.PluginFiles, path)
	if err != nil {
		panic(fmt.Sprintf("scaffold: embedded file %s: %v", path, err)) // a build error, not a user error
	}
	return b
}

// rename replaces the example's name with the plugin's.
func rename(b []byte, name string) []byte {
	return bytes.ReplaceAll(b, []byte("add-header"), []byte(name))
}

func cProject(o Options, files map[string][]byte) error {
	files[o.Name+".c"] = rename(embedded("examples/plugins/c/add-header/add-header.c"), o.Name)
	build := rename(embedded("examples/plugins/c/add-header/build.sh"), o.Name)
	files["build.sh"] = bytes.ReplaceAll(build, []byte("-I ../../../../wasm-sdk/c"), []byte("-I sdk"))
	files["sdk/portico.h"] = embedded("wasm-sdk/c/portico.h")
	files["README.md"] = readme(o, "./build.sh", "Needs clang, lld and wasi-libc (Debian: apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32).")
	return nil
}

func asProject(o Options, files map[string][]byte) error {
	files["assembly/index.ts"] = embedded("examples/plugins/assemblyscript/add-header/assembly/index.ts")
	files["build.sh"] = rename(embedded("examples/plugins/assemblyscript/add-header/build.sh"), o.Name)
	files[".npmrc"] = embedded("examples/plugins/assemblyscript/add-header/.npmrc")
	files["package.json"] = []byte(fmt.Sprintf(`{
  "name": %q,
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "scripts": { "build": "bash build.sh" },
  "devDependencies": {
    "@portico/assemblyscript-sdk": "file:./sdk",
    "assemblyscript": "0.28.20"
  }
}
`, o.Name))
	files["sdk/package.json"] = embedded("wasm-sdk/assemblyscript/package.json")
	entries, err := fs.ReadDir(portico.PluginFiles, "wasm-sdk/assemblyscript/assembly")
	if err != nil {
		return err
	}
	for _, e := range entries {
		files["sdk/assembly/"+e.Name()] = embedded("wasm-sdk/assemblyscript/assembly/" + e.Name())
	}
	files["README.md"] = readme(o, "./build.sh", "Needs Node.js 20 or later and npm; build.sh installs AssemblyScript on first use.")
	return nil
}

func goProject(o Options, files map[string][]byte) error {
	sdk := o.GoSDK
	if sdk == "" {
		var err error
		if sdk, err = findGoSDK(); err != nil {
			return err
		}
	}
	abs, err := filepath.Abs(sdk)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
		return fmt.Errorf("--sdk %s: no Go SDK module there (it is wasm-sdk/go in a Portico checkout)", sdk)
	}
	files["go.mod"] = []byte(fmt.Sprintf(`module %s

go 1.24

require github.com/portico-gateway/portico/wasm-sdk/go v0.0.0-00010101000000-000000000000

// The SDK comes from a Portico checkout until it is published.
replace github.com/portico-gateway/portico/wasm-sdk/go => %s
`, o.Name, abs))
	files["main.go"] = []byte(strings.ReplaceAll(goMain, "NAME", o.Name))
	files["build.sh"] = []byte("#!/bin/sh\n# Builds " + o.Name + ".wasm (Go 1.24 or later).\nset -eu\ncd \"$(dirname \"$0\")\"\n" +
		"GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o " + o.Name + ".wasm .\n")
	files["README.md"] = readme(o, "./build.sh", "Needs Go 1.24 or later.")
	return nil
}

// findGoSDK looks for wasm-sdk/go in the current directory's ancestors, then beside the executable.
func findGoSDK() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			candidate := filepath.Join(d, "wasm-sdk", "go")
			if _, err := os.Stat(filepath.Join(candidate, "go.mod")); err == nil {
				return candidate, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("the Go SDK is not published yet: run from a Portico checkout or pass --sdk PATH/TO/portico/wasm-sdk/go")
}

func readme(o Options, build, needs string) []byte {
	return []byte(fmt.Sprintf(`# %[1]s

A Portico plugin in %[2]s. It sets one request header from its config before the request goes on to the backend:

    {"header": "x-from-wasm", "value": "yes"}

Build (%[3]s):

    %[4]s

Try it without a server, then upload it and use it in a route:

    portico plugin test %[1]s.wasm --config '{"header":"x-hello","value":"world"}' --request 'GET /anything'
    portico module add %[1]s %[1]s.wasm

    # in portico.yaml, on a path or a method:
    plugins:
      - type: wasm
        config: { module: %[1]s, config: { header: x-hello, value: world } }

The ABI is described in wasm-sdk/ABI.md of the Portico repository.
`, o.Name, o.Lang, needs, build))
}

const goMain = `// Command NAME is a Portico plugin: it sets one request header before the request goes on to the backend.
//
// Config: {"header": "x-from-wasm", "value": "yes"}
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	portico "github.com/portico-gateway/portico/wasm-sdk/go"
)

type config struct {
	Header string ` + "`json:\"header\"`" + `
	Value  string ` + "`json:\"value\"`" + `
}

// cfg is set once per instance by Init and only read afterwards.
var cfg config

func init() {
	portico.Init(parseConfig)
	portico.HandleRequest(handleRequest)
}

func parseConfig(raw []byte) error {
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		return fmt.Errorf("NAME: config: %w", err)
	}
	if c.Header == "" || strings.ContainsAny(c.Header, " \t\r\n:\x00") {
		return errors.New(` + "`NAME: config: \"header\" must be a header name`" + `)
	}
	cfg = c
	return nil
}

func handleRequest(req portico.Request, _ portico.Response) (next bool, reqCtx uint32) {
	req.Headers().Set(cfg.Header, cfg.Value)
	return true, 0
}

func main() {} // a reactor: the host calls _initialize (which runs init) and then the handlers
`
