package storage

import "testing"

// Normalisers must be idempotent: what they store, they accept again unchanged (declarative apply compares stored
// values with normalised input).
func FuzzNormalizeBackendURL(f *testing.F) {
	for _, s := range []string{"https://api.example.com/", "http://a:8080/x//", "https://u@h", "http://[::1]:80/a", "ftp://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, e := normalizeBackendURL("backendUrl", raw)
		if e != nil {
			return
		}
		again, e := normalizeBackendURL("backendUrl", got)
		if e != nil || again != got {
			t.Fatalf("%q → %q → %q, %v", raw, got, again, e)
		}
	})
}

func FuzzNormalizeHost(f *testing.F) {
	for _, s := range []string{"API.example.com.", "a-b.c", "-x.y", "10.0.0.1", "xn--bcher-kva.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, e := normalizeHost(raw)
		if e != nil {
			return
		}
		again, e := normalizeHost(got)
		if e != nil || again != got {
			t.Fatalf("%q → %q → %q, %v", raw, got, again, e)
		}
	})
}
