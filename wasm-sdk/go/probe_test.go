//go:build !wasip1

package portico

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitNUL(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		count uint32
		want  []string
	}{
		{"empty", "", 0, nil},
		{"one", "accept\x00", 1, []string{"accept"}},
		{"two", "content-type\x00content-length\x00", 2, []string{"content-type", "content-length"}},
		{"empty value", "\x00b\x00", 2, []string{"", "b"}},
		{"missing final NUL", "a\x00b", 2, []string{"a", "b"}},
		{"count zero ignores bytes", "a\x00", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitNUL([]byte(tc.in), tc.count); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("splitNUL(%q, %d) = %q, want %q", tc.in, tc.count, got, tc.want)
			}
		})
	}
}

func TestFirstNUL(t *testing.T) {
	for in, want := range map[string]string{"": "", "a\x00b\x00": "a", "\x00b\x00": "", "abc": "abc"} {
		if got := firstNUL([]byte(in)); got != want {
			t.Errorf("firstNUL(%q) = %q, want %q", in, got, want)
		}
	}
}

// fakeGet serves value with the probing protocol and counts calls.
type fakeGet struct {
	value string
	calls int
}

func (f *fakeGet) get(buf []byte) uint32 {
	f.calls++
	if len(f.value) <= len(buf) {
		copy(buf, f.value)
	}
	return uint32(len(f.value))
}

func TestProbe(t *testing.T) {
	defer func(s []byte) { scratch = s }(scratch)
	for _, tc := range []struct {
		name      string
		size      int
		calls     int
		scratchAt int // len(scratch) afterwards
	}{
		{"empty", 0, 1, scratchInitial},
		{"fits", scratchInitial, 1, scratchInitial},
		{"grows scratch", scratchInitial + 1, 2, 2 * scratchInitial},
		{"one-off above the cap", scratchMax + 1, 2, scratchInitial},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scratch = make([]byte, scratchInitial)
			f := &fakeGet{value: strings.Repeat("x", tc.size)}
			got := probeCopy(f.get)
			if string(got) != f.value || f.calls != tc.calls || len(scratch) != tc.scratchAt {
				t.Fatalf("len %d, calls %d, scratch %d; want %d, %d, %d",
					len(got), f.calls, len(scratch), tc.size, tc.calls, tc.scratchAt)
			}
		})
	}
}

// A value that grows between the two calls (a KV value another instance rewrote) is probed again.
func TestProbeValueGrowsBetweenCalls(t *testing.T) {
	sizes := []int{2000, 5000, 5000}
	calls := 0
	got := probe(func(buf []byte) uint32 {
		n := sizes[calls]
		calls++
		if n <= len(buf) {
			copy(buf, strings.Repeat("y", n))
		}
		return uint32(n)
	})
	if len(got) != 5000 || calls != 3 {
		t.Fatalf("len %d after %d calls, want 5000 after 3", len(got), calls)
	}
}

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7:4711":            "203.0.113.7",
		"203.0.113.7":                 "203.0.113.7",
		"[2001:db8::1]:443":           "2001:db8::1",
		"[2001:db8::1]":               "2001:db8::1",
		"2001:db8::1":                 "2001:db8::1",
		"[fe80::101e:2bdf:8bfb:b97e]": "fe80::101e:2bdf:8bfb:b97e",
		"":                            "",
	} {
		if got := hostOf(in); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFeaturesString(t *testing.T) {
	for f, want := range map[Features]string{
		0:                                       "none",
		FeatureBufferRequest:                    "buffer_request",
		FeatureBufferResponse | FeatureTrailers: "buffer_response|trailers",
		FeatureBufferRequest | 1<<8:             "buffer_request|0x100",
	} {
		if got := f.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", uint32(f), got, want)
		}
	}
}
