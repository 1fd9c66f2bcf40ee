package ipacl

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// naiveContains is the reference the compiled ranges are checked against: netip.Prefix.Contains over every entry,
// with the documented IPv4-mapped rules.
func naiveContains(prefixes []netip.Prefix, ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range prefixes {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if p.Contains(ip) || (ip.Is4() && p.Bits() <= 96 && p.Contains(mapped)) {
			return true
		}
	}
	return false
}

// lastAddr is the highest address of p, computed byte by byte (independently of the u128 arithmetic).
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := range b {
		if bits := p.Bits() - i*8; bits < 8 {
			b[i] |= byte(0xff >> max(bits, 0))
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func FuzzParseList(f *testing.F) {
	f.Add("10.0.0.1,10.0.0.0/8,192.168.1.1/24", []byte{10, 0, 0, 1})
	f.Add("0.0.0.0/0", []byte{1, 2, 3, 4})
	f.Add("::/0,2001:db8::/32", []byte{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add("::ffff:10.0.0.0/104,255.255.255.255/32", []byte{10, 9, 9, 9})
	f.Add("1.2.3.4/31,1.2.3.6/31,1.2.3.0/30", []byte{1, 2, 3, 7})
	f.Add("300.1.1.1,10.0.0.0/33,,fe80::1%eth0", []byte{})
	f.Fuzz(func(t *testing.T, list string, probe []byte) {
		entries := strings.Split(list, ",")
		l, err := ParseList(entries)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "addresses") {
				t.Fatalf("error %q does not name the field", err)
			}
			return
		}
		prefixes := make([]netip.Prefix, len(entries))
		for i, e := range entries {
			p, err := parseEntry(e)
			if err != nil {
				t.Fatalf("ParseList accepted %q that parseEntry refuses: %v", e, err)
			}
			prefixes[i] = p
		}
		probes := []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified(), netip.MustParseAddr("255.255.255.255")}
		if a, ok := netip.AddrFromSlice(probe); ok {
			probes = append(probes, a)
		}
		for _, p := range prefixes {
			first, last := p.Addr(), lastAddr(p)
			probes = append(probes, first, first.Prev(), last, last.Next())
		}
		for _, ip := range probes {
			if !ip.IsValid() {
				continue
			}
			if got, want := l.Contains(ip), naiveContains(prefixes, ip); got != want {
				t.Fatalf("list %q: Contains(%s) = %v, the reference says %v (ranges v4=%x v6=%x)",
					list, ip, got, want, l.v4, l.v6)
			}
		}
	})
}

// randomList builds n entries: a mix of single addresses and CIDR blocks, as an operator would.
func randomList(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		a := fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(222), r.IntN(256), r.IntN(256), r.IntN(256))
		if i%3 == 0 {
			a += fmt.Sprintf("/%d", 16+r.IntN(17))
		}
		out[i] = a
	}
	return out
}

func BenchmarkContains100(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	l, err := ParseList(randomList(r, MaxAddresses))
	if err != nil {
		b.Fatal(err)
	}
	ips := make([]netip.Addr, 1024)
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Contains(ips[i&1023])
	}
}

func BenchmarkContains100IPv6(b *testing.B) {
	entries := make([]string, MaxAddresses)
	for i := range entries {
		entries[i] = fmt.Sprintf("2001:db8:%x::/48", i*7)
	}
	l, err := ParseList(entries)
	if err != nil {
		b.Fatal(err)
	}
	ip := netip.MustParseAddr("2001:db8:15::1")
	b.ReportAllocs()
	for b.Loop() {
		if !l.Contains(ip) {
			b.Fatal("not found")
		}
	}
}

// BenchmarkHandleRequest100 measures the whole plugin on an allowed request: reading the client IP through the
// ABI, parsing and matching it against 100 entries.
func BenchmarkHandleRequest100(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	entries := randomList(r, MaxAddresses-1)
	entries = append(entries, "203.0.113.0/24")
	raw, _ := json.Marshal(Config{Mode: ModeAllow, Addresses: entries})
	acl, err := Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	ex := memexchange.New(memexchange.Request{Vars: map[string]string{"request.clientIp": "203.0.113.77"}})
	b.ReportAllocs()
	for b.Loop() {
		if next, _ := acl.HandleRequest(ex); !next {
			b.Fatal("denied")
		}
	}
}
