package main

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

var valueRe = regexp.MustCompile(`(primary|secondary) key: +(\S+)`)

// values returns the key values an output printed, by which.
func values(out string) map[string]string {
	m := map[string]string{}
	for _, v := range valueRe.FindAllStringSubmatch(out, -1) {
		m[v[1]] = v[2]
	}
	return m
}

func TestCLIKeys(t *testing.T) {
	n, dir := startTestNode(t)
	out := mustCLI(t, n, dir, "keys", "create", "partner", "--description", "Partner A")
	vals := values(out)
	if len(vals["primary"]) != 32 || len(vals["secondary"]) != 32 || !strings.Contains(out, "shown once") {
		t.Fatalf("create output:\n%s", out)
	}
	out = mustCLI(t, n, dir, "keys", "ls")
	if !strings.Contains(out, "partner") || !strings.Contains(out, "ACTIVE") || !strings.Contains(out, "Partner A") {
		t.Fatalf("ls:\n%s", out)
	}
	out = mustCLI(t, n, dir, "keys", "show", "partner")
	if strings.Contains(out, vals["primary"]) || !strings.Contains(out, "not connected") {
		t.Fatalf("show:\n%s", out)
	}
	if out := mustCLI(t, n, dir, "keys", "set", "partner", "--status", "inactive"); !strings.Contains(out, "INACTIVE") {
		t.Fatalf("set:\n%s", out)
	}
	out = mustCLI(t, n, dir, "keys", "regenerate", "partner", "secondary")
	reg := values(out)
	if len(reg["secondary"]) != 32 || reg["secondary"] == vals["secondary"] || reg["primary"] != "" ||
		!strings.Contains(out, "shown once") || !strings.Contains(out, "old value no longer works") {
		t.Fatalf("regenerate:\n%s", out)
	}
	if out := mustCLI(t, n, dir, "keys", "create", "off", "--inactive"); !strings.Contains(out, "INACTIVE") {
		t.Fatalf("create --inactive:\n%s", out)
	}
	if out := mustCLI(t, n, dir, "keys", "rm", "off"); !strings.Contains(out, "removed") {
		t.Fatalf("rm:\n%s", out)
	}

	var ue usageError
	for _, args := range [][]string{
		{"keys"}, {"keys", "regenerate", "partner", "tertiary"}, {"keys", "set", "partner"}, {"keys", "create"},
		{"keys", "frobnicate"},
	} {
		if _, err := cli(t, n, dir, args...); !errors.As(err, &ue) {
			t.Errorf("portico %s: error %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	if _, err := cli(t, n, dir, "keys", "show", "nobody"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("show unknown: %v", err)
	}
}

func TestCLIPlans(t *testing.T) {
	n, dir := startTestNode(t)
	mustCLI(t, n, dir, "apply", "-f", "../../examples/config/shop.yaml")
	mustCLI(t, n, dir, "keys", "create", "partner")

	out := mustCLI(t, n, dir, "plans", "create", "gold", "--rps", "10", "--quota", "100", "--period", "day")
	if !strings.Contains(out, "rps 10/s, quota 100/day") {
		t.Fatalf("create:\n%s", out)
	}
	mustCLI(t, n, dir, "plans", "create", "silver", "--quota", "1000", "--period", "MONTH")
	mustCLI(t, n, dir, "plans", "connect", "gold", "shop", "test")
	mustCLI(t, n, dir, "plans", "connect", "silver", "shop", "test")
	mustCLI(t, n, dir, "plans", "connect", "gold", "shop", "default")
	out = mustCLI(t, n, dir, "plans", "add-key", "gold", "shop", "test", "partner")
	if !strings.Contains(out, "may now call") {
		t.Fatalf("add-key:\n%s", out)
	}
	if _, err := cli(t, n, dir, "plans", "add-key", "silver", "shop", "test", "partner"); err == nil ||
		!strings.Contains(err.Error(), `"gold"`) {
		t.Fatalf("add-key in a second plan on the stage: %v", err)
	}
	out = mustCLI(t, n, dir, "plans", "show", "gold")
	if !regexp.MustCompile(`shop0001\s+test\s+partner\s+ACTIVE\s+0`).MatchString(out) ||
		!strings.Contains(out, "(default)") {
		t.Fatalf("show:\n%s", out)
	}
	out = mustCLI(t, n, dir, "keys", "show", "partner")
	if !regexp.MustCompile(`shop0001\s+test\s+gold\s+10/s\s+100/day\s+0`).MatchString(out) {
		t.Fatalf("keys show:\n%s", out)
	}
	out = mustCLI(t, n, dir, "plans", "ls")
	if !regexp.MustCompile(`gold\s+10/s\s+100/day\s+2\s+1`).MatchString(out) {
		t.Fatalf("ls:\n%s", out)
	}
	out = mustCLI(t, n, dir, "plans", "set", "gold", "--period", "month", "--quota", "5000")
	if !strings.Contains(out, "5000/month") || !strings.Contains(out, "no deploy") {
		t.Fatalf("set:\n%s", out)
	}

	// Deletion rules name the blocker.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", "rm", "partner"}, `"gold"`},
		{[]string{"plans", "rm", "gold"}, "disconnect"},
		{[]string{"plans", "disconnect", "gold", "shop", "test"}, `"partner"`},
	} {
		if _, err := cli(t, n, dir, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("portico %s: %v, want an error naming %s", strings.Join(tc.args, " "), err, tc.want)
		}
	}

	out = mustCLI(t, n, dir, "plans", "move-key", "gold", "shop", "test", "partner", "silver")
	if !strings.Contains(out, "kept") {
		t.Fatalf("move-key:\n%s", out)
	}
	mustCLI(t, n, dir, "plans", "remove-key", "silver", "shop", "test", "partner")
	for _, args := range [][]string{
		{"plans", "disconnect", "gold", "shop", "test"}, {"plans", "disconnect", "gold", "shop", "default"},
		{"plans", "disconnect", "silver", "shop", "test"}, {"plans", "rm", "gold"}, {"plans", "rm", "silver"},
		{"keys", "rm", "partner"},
	} {
		mustCLI(t, n, dir, args...)
	}
	if out := mustCLI(t, n, dir, "plans", "ls"); strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("plans left:\n%s", out)
	}

	var ue usageError
	for _, args := range [][]string{
		{"plans"}, {"plans", "create", "x", "--quota", "5"}, {"plans", "set", "x"}, {"plans", "connect", "gold"},
		{"plans", "move-key", "a", "b", "c", "d"},
	} {
		if _, err := cli(t, n, dir, args...); !errors.As(err, &ue) {
			t.Errorf("portico %s: error %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}

func TestCLIApplyPrintsGeneratedKeysOnce(t *testing.T) {
	n, dir := startTestNode(t)
	file := t.TempDir() + "/keys.yaml"
	writeFile(t, file, "services: []\napiKeys:\n  - name: partner\n")
	out := mustCLI(t, n, dir, "apply", "-f", file, "--dry-run")
	if strings.Contains(out, "primary key of") {
		t.Fatalf("a dry run printed values:\n%s", out)
	}
	out = mustCLI(t, n, dir, "apply", "-f", file)
	if !strings.Contains(out, "created    apiKey partner") || !strings.Contains(out, "primary key of partner: ") ||
		!strings.Contains(out, "shown once") {
		t.Fatalf("apply:\n%s", out)
	}
	if out := mustCLI(t, n, dir, "apply", "-f", file); strings.Contains(out, "key of") {
		t.Fatalf("a second apply printed values:\n%s", out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
