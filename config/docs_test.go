package config

import (
	"context"
	"os"
	"regexp"
	"testing"

	_ "github.com/portico-gateway/portico/builtins" // the plugin types the examples use
	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/storage"
)

func openStoreWithPlugins(t *testing.T) *storage.Store {
	t.Helper()
	st, err := storage.Open(context.Background(), t.TempDir()+"/p.db", storage.Options{Plugins: abi.Default()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestDocumentationExamplesApply applies every YAML example of docs/configuration.md to a fresh store.
func TestDocumentationExamplesApply(t *testing.T) {
	md, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(md, -1)
	if len(blocks) < 3 {
		t.Fatalf("found %d YAML examples", len(blocks))
	}
	for i, b := range blocks {
		doc, err := Parse("configuration.md example", b[1])
		if err != nil {
			t.Fatalf("example %d does not parse: %v", i+1, err)
		}
		st := openStoreWithPlugins(t)
		ctx := context.Background()
		if err := st.Update(ctx, func(tx *storage.Tx) error { _, err := Apply(ctx, tx, doc, Options{}); return err }); err != nil {
			t.Fatalf("example %d does not apply: %v", i+1, err)
		}
	}
}
