package wasmhost

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestAdmit feeds modules that would make wazero's decoder allocate gigabytes: they must be refused before
// wazero sees them, by Validate and by Compile alike.
func TestAdmit(t *testing.T) {
	const header = "\x00asm\x01\x00\x00\x00"
	const typeAndFunc = "\x01\x04\x01\x60\x00\x00" + "\x03\x02\x01\x00" // type () -> (); one function of it
	r, _ := newTestRuntime(t, Config{})
	tests := []struct {
		name, wasm, want string
	}{
		{"four billion locals in ten bytes",
			header + typeAndFunc + "\x0a\x0a\x01\x08\x01\xff\xff\xff\xff\x0f\x7f\x0b",
			"a function declares 4294967295 locals, more than 50000"},
		{"an import count with no imports", header + "\x02\x05\xff\xff\xff\xff\x0f", "section 2: truncated"},
		{"a type count with no types", header + "\x01\x05\xff\xff\xff\xff\x0f", "section 1: truncated"},
		{"a data segment longer than the module",
			header + "\x05\x03\x01\x00\x01" + "\x0b\x09\x01\x00\x41\x00\x0b\xff\xff\xff\x0f",
			"section 11: truncated"},
		{"too big", header + strings.Repeat("\x00\x00", MaxModuleSize/2), "more than the 67108864 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(context.Background(), []byte(tt.wasm))
			if !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
			_, err = r.Compile(context.Background(), "bomb", []byte(tt.wasm))
			if !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compile = %v, want %q", err, tt.want)
			}
		})
	}
}
