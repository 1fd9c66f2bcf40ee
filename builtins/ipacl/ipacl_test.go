package ipacl

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

func TestParseErrors(t *testing.T) {
	tooMany := make([]string, MaxAddresses+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("10.0.%d.%d", i/256, i%256)
	}
	many, _ := json.Marshal(tooMany)
	tests := []struct {
		name, config, want string
	}{
		{"empty", ``, "config: missing"},
		{"unknown field", `{"mode":"allow","addresses":["10.0.0.1"],"extra":1}`, `unknown field "extra"`},
		{"bad mode", `{"mode":"permit","addresses":["10.0.0.1"]}`, `mode: "permit" is not "allow" or "deny"`},
		{"no mode", `{"addresses":["10.0.0.1"]}`, `mode: "" is not`},
		{"no addresses", `{"mode":"deny","addresses":[]}`, "addresses: at least one"},
		{"bad entry names index", `{"mode":"deny","addresses":["10.0.0.1","10.0.0.0/8","1.2.3.4","300.1.1.1"]}`,
			`addresses[3]: "300.1.1.1": not an IP address or CIDR block`},
		{"bad bits", `{"mode":"deny","addresses":["10.0.0.0/33"]}`, `addresses[0]: "10.0.0.0/33"`},
		{"empty entry", `{"mode":"deny","addresses":["10.0.0.1",""]}`, `addresses[1]: empty entry`},
		{"spaces", `{"mode":"deny","addresses":[" 10.0.0.1"]}`, `addresses[0]: " 10.0.0.1"`},
		{"leading zero", `{"mode":"deny","addresses":["10.0.0.01"]}`, `addresses[0]`},
		{"zone", `{"mode":"deny","addresses":["fe80::1%eth0"]}`, `addresses[0]`},
		{"hostname", `{"mode":"deny","addresses":["example.com"]}`, `addresses[0]`},
		{"too long", `{"mode":"deny","addresses":["` + strings.Repeat("1", 100) + `"]}`, `addresses[0]`},
		{"too many", `{"mode":"deny","addresses":` + string(many) + `}`, "addresses: at most 100 entries, got 101"},
		{"trailing data", `{"mode":"deny","addresses":["1.1.1.1"]} {}`, "one JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(json.RawMessage(tt.config))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%s) = %v, want an error containing %q", tt.config, err, tt.want)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	addrs := []string{"127.0.0.1", "10.0.0.1/24", "192.168.0.0/16", "192.168.1.0/24", "2001:db8::/32",
		"::ffff:172.16.0.0/108", "8.8.8.8"}
	tests := []struct {
		ip   string
		want bool // in the list
	}{
		{"127.0.0.1", true},
		{"127.0.0.2", false},
		{"10.0.0.0", true},
		{"10.0.0.255", true}, // 10.0.0.1/24 is 10.0.0.0/24 (the seed's example)
		{"10.0.1.0", false},
		{"9.255.255.255", false},
		{"192.168.255.255", true},
		{"192.169.0.0", false},
		{"172.16.5.5", true}, // from the IPv4-mapped entry
		{"172.32.0.0", false},
		{"::ffff:10.0.0.7", true}, // IPv4-mapped client
		{"::ffff:10.0.1.7", false},
		{"2001:db8:ffff::1", true},
		{"2001:db9::1", false},
		{"fe80::1%eth0", false},
		{"8.8.8.8", true},
		{"8.8.8.9", false},
		{"0.0.0.0", false},
		{"255.255.255.255", false},
	}
	l, err := ParseList(addrs)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			if got := l.Contains(netip.MustParseAddr(tt.ip)); got != tt.want {
				t.Fatalf("Contains(%s) = %v, want %v", tt.ip, got, tt.want)
			}
		})
	}
	if got := l.Contains(netip.Addr{}); got {
		t.Fatal("the zero Addr is in no list")
	}
}

func TestWholeSpaces(t *testing.T) {
	tests := []struct {
		entry string
		in    []string
		out   []string
	}{
		{"0.0.0.0/0", []string{"0.0.0.0", "255.255.255.255", "::ffff:1.2.3.4"}, []string{"::1"}},
		{"::/0", []string{"::", "ffff::1", "1.2.3.4"}, nil}, // covers ::ffff:0:0/96, so every IPv4 client
		{"::ffff:0:0/96", []string{"1.2.3.4", "0.0.0.0"}, []string{"::1"}},
		{"255.255.255.255", []string{"255.255.255.255"}, []string{"255.255.255.254"}},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", []string{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
			[]string{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"}},
	}
	for _, tt := range tests {
		t.Run(tt.entry, func(t *testing.T) {
			l, err := ParseList([]string{tt.entry})
			if err != nil {
				t.Fatal(err)
			}
			for _, ip := range tt.in {
				if !l.Contains(netip.MustParseAddr(ip)) {
					t.Errorf("%s should contain %s", tt.entry, ip)
				}
			}
			for _, ip := range tt.out {
				if l.Contains(netip.MustParseAddr(ip)) {
					t.Errorf("%s should not contain %s", tt.entry, ip)
				}
			}
		})
	}
}

func TestMerge(t *testing.T) {
	l, err := ParseList([]string{"10.0.0.0/25", "10.0.0.128/25", "10.0.1.0/24", "10.0.0.5", "11.0.0.0/8",
		"12.0.0.0/8", "2001:db8::/33", "2001:db8:8000::/33"})
	if err != nil {
		t.Fatal(err)
	}
	// 10.0.0.0–10.0.1.255 is one range; 11/8 and 12/8 are adjacent; the two IPv6 halves join.
	if want := []range4{{0x0a000000, 0x0a0001ff}, {0x0b000000, 0x0cffffff}}; fmt.Sprint(l.v4) != fmt.Sprint(want) {
		t.Fatalf("v4 = %x, want %x", l.v4, want)
	}
	if len(l.v6) != 1 {
		t.Fatalf("v6 = %x, want one range", l.v6)
	}
}

func exchange(clientIP string) *memexchange.Exchange {
	vars := map[string]string{"request.id": "req-1"}
	if clientIP != "" {
		vars["request.clientIp"] = clientIP
	}
	return memexchange.New(memexchange.Request{URI: "/x", Vars: vars})
}

func TestHandleRequest(t *testing.T) {
	tests := []struct {
		name, mode, clientIP string
		pass                 bool
	}{
		{"allow listed", ModeAllow, "10.1.2.3", true},
		{"allow unlisted", ModeAllow, "11.1.2.3", false},
		{"deny listed", ModeDeny, "10.1.2.3", false},
		{"deny unlisted", ModeDeny, "11.1.2.3", true},
		{"allow ipv6 unlisted", ModeAllow, "2001:db8::1", false},
		{"deny no client ip fails closed", ModeDeny, "", false},
		{"deny garbage client ip fails closed", ModeDeny, "not-an-ip", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := abi.Default().Build(TypeName, abi.BuildContext{Phase: abi.PhaseRequest},
				json.RawMessage(`{"mode":"`+tt.mode+`","addresses":["127.0.0.1","10.0.0.0/8"]}`))
			if err != nil {
				t.Fatal(err)
			}
			ex := exchange(tt.clientIP)
			next, _ := p.HandleRequest(ex)
			if next != tt.pass {
				t.Fatalf("next = %v, want %v", next, tt.pass)
			}
			resp := ex.Response()
			if tt.pass {
				if resp.Status != 200 || len(resp.Body) != 0 {
					t.Fatalf("a passed request has no response yet, got %d %s", resp.Status, resp.Body)
				}
				return
			}
			want := `{"error":{"code":"ip_denied","message":"access from this IP address is not allowed","requestId":"req-1"}}`
			if resp.Status != 403 || strings.TrimSpace(string(resp.Body)) != want {
				t.Fatalf("response = %d %s, want 403 %s", resp.Status, resp.Body, want)
			}
		})
	}
}

func TestValidateThroughRegistry(t *testing.T) {
	err := abi.Default().ValidatePlugin("/", "", TypeName, "", json.RawMessage(`{"mode":"allow","addresses":["1.2.3"]}`))
	if err == nil || !strings.Contains(err.Error(), "addresses[0]") {
		t.Fatalf("ValidatePlugin = %v, want an addresses[0] error", err)
	}
	if err := abi.Default().ValidatePlugin("/", "", TypeName, "response", json.RawMessage(`{"mode":"allow","addresses":["1.2.3.4"]}`)); err == nil {
		t.Fatal("ip-acl cannot run in the response phase")
	}
}
