package abi

import "testing"

func TestValidToken(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"X-Request-Id", true}, {"GET", true}, {"a!#$%&'*+-.^_`|~9", true},
		{"", false}, {"bad name", false}, {"bad:name", false}, {"x\r\n", false}, {"é", false}, {"a\x7f", false},
		{`a"b`, false}, {"a(b", false}, {"a/b", false}, {"a{b", false},
	} {
		if got := ValidToken([]byte(tc.in)); got != tc.want {
			t.Errorf("ValidToken(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestValidValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", true}, {"no-store", true}, {"tab\tand space", true}, {"\x01\x0b\x0c\x7f é", true},
		{"a\rb", false}, {"a\nb", false}, {"a\x00b", false}, {"\r\nX-Evil: 1", false},
	} {
		if got := ValidValue([]byte(tc.in)); got != tc.want {
			t.Errorf("ValidValue(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
