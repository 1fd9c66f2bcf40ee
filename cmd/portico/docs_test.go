package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocumentedCommandsParse finds every `portico …` command line in the README and docs/ and checks that the CLI
// accepts its command and flags (serve lines are parsed fully; client commands by their flag sets, without a server).
func TestDocumentedCommandsParse(t *testing.T) {
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	lineRe := regexp.MustCompile(`(?m)(?:go run \./cmd/portico|^\s*portico|\x60portico) ([a-z]+)([^\x60\n&|>]*)`)
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(data), "\\\n", " ")
		for _, m := range lineRe.FindAllStringSubmatch(text, -1) {
			cmd, args := m[1], strings.Fields(m[2])
			if cmd == "serve" {
				if _, err := parseServeFlags(args); err != nil {
					t.Errorf("%s: `portico serve %s`: %v", f, strings.Join(args, " "), err)
				}
				checked++
				continue
			}
			if _, ok := commands[cmd]; !ok && cmd != "version" {
				t.Errorf("%s: unknown command in `portico %s %s`", f, cmd, m[2])
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("only %d documented commands found: the pattern no longer matches the docs", checked)
	}
}
