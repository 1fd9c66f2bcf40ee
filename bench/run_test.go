// Package bench holds the load benchmark (run.sh) and its helpers; this test keeps the script and its
// documentation in step without running the benchmark itself (minutes long, and it needs nginx, HAProxy and Caddy).
package bench

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestRunScript checks run.sh parses, and that every setting docs/performance.md shows in its examples is one the
// script reads (a renamed variable would otherwise be ignored without a word).
func TestRunScript(t *testing.T) {
	if out, err := exec.Command("bash", "-n", "run.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n run.sh: %v\n%s", err, out)
	}
	script, err := os.ReadFile("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/performance.md")
	if err != nil {
		t.Fatal(err)
	}
	// The shell examples: lines of the ```sh blocks that run bench/run.sh with VAR=value settings.
	var settings []string
	inBlock := false
	for _, line := range strings.Split(string(doc), "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			inBlock = true
		case strings.HasPrefix(line, "```"):
			inBlock = false
		case inBlock && strings.Contains(line, "bench/run.sh"):
			for _, m := range regexp.MustCompile(`\b([A-Z_]+)=`).FindAllStringSubmatch(line, -1) {
				settings = append(settings, m[1])
			}
		}
	}
	if len(settings) == 0 {
		t.Fatal("found no bench/run.sh example with settings in docs/performance.md")
	}
	for _, v := range settings {
		if !strings.Contains(string(script), "${"+v+":-") && !strings.Contains(string(script), "${"+v+"-") &&
			!strings.Contains(string(script), "${"+v+":") {
			t.Errorf("docs/performance.md sets %s, which run.sh does not read", v)
		}
	}
}
