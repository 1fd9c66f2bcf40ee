// Package ipacl is the "ip-acl" built-in plugin: the stage's IP access control. In allow mode only the listed
// addresses pass (a whitelist); in deny mode the listed addresses are refused and every other passes (a blacklist).
// The client address is the gateway's resolved client IP (context variable request.clientIp: the PROXY protocol
// source, the trusted X-Forwarded-For hop or the socket peer), so behind NAT the translated address is checked.
//
// A refused request is answered 403 with the error code "ip_denied". A request whose client IP cannot be read is
// refused in both modes: the ACL fails closed.
package ipacl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"sync"
	"unsafe"

	"github.com/portico-gateway/portico/builtins/reply"
	"github.com/portico-gateway/portico/runtime/abi"
)

// TypeName is the plugin type's name.
const TypeName = "ip-acl"

// CodeDenied is the error code of a refused request (HTTP 403).
const CodeDenied = "ip_denied"

// Modes.
const (
	ModeAllow = "allow"
	ModeDeny  = "deny"
)

func init() {
	abi.Register(abi.Type{Name: TypeName, Phases: []abi.Phase{abi.PhaseRequest},
		Validate: func(_ abi.Site, raw json.RawMessage) error { _, err := Parse(raw); return err },
		New: func(_ abi.BuildContext, raw json.RawMessage) (abi.Plugin, error) {
			a, err := Parse(raw)
			if err != nil {
				return nil, err // not a typed nil inside the interface
			}
			return a, nil
		},
	})
}

// Config is the JSON config, the stage setting "ipAcl" as it is: {"mode":"allow","addresses":["10.0.0.0/8"]}.
type Config struct {
	// Mode is "allow" (only the addresses pass) or "deny" (the addresses are refused).
	Mode string `json:"mode"`
	// Addresses are IP addresses and CIDR blocks, at most MaxAddresses (see ParseList).
	Addresses []string `json:"addresses"`
}

// ACL is a compiled ip-acl binding. It is immutable and shared by every request of its route.
type ACL struct {
	allow bool
	list  *List
}

// Parse decodes and compiles a config. Errors name the field: "mode: …", "addresses[3]: …".
func Parse(raw json.RawMessage) (*ACL, error) {
	var cfg Config
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("config: missing (fields: mode, addresses)")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w (fields: mode, addresses)", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("config: one JSON object expected")
	}
	return New(cfg)
}

// New compiles cfg.
func New(cfg Config) (*ACL, error) {
	a := &ACL{}
	switch cfg.Mode {
	case ModeAllow:
		a.allow = true
	case ModeDeny:
	default:
		return nil, fmt.Errorf("mode: %q is not %q or %q", cfg.Mode, ModeAllow, ModeDeny)
	}
	if len(cfg.Addresses) == 0 {
		return nil, fmt.Errorf("addresses: at least one IP address or CIDR block")
	}
	l, err := ParseList(cfg.Addresses)
	if err != nil {
		return nil, err
	}
	a.list = l
	return a, nil
}

// Allows reports whether a request from ip passes. It does not allocate.
func (a *ACL) Allows(ip netip.Addr) bool { return a.list.Contains(ip) == a.allow }

var clientIPVar = []byte("request.clientIp")

// ipBufs holds the buffers the client IP is read into: a buffer handed to an interface method escapes, so a
// stack array would cost an allocation per request.
var ipBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64); return &b }}

// HandleRequest passes the request on or answers 403 ip_denied.
func (a *ACL) HandleRequest(ex abi.Exchange) (bool, uint32) {
	bp := ipBufs.Get().(*[]byte)
	b, ok := ex.ContextVar(clientIPVar, (*bp)[:0])
	pass := false
	if ok {
		if ip, ok := parseIP(b); ok {
			pass = a.Allows(ip)
		}
	}
	*bp = b[:0]
	ipBufs.Put(bp)
	if pass {
		return true, 0
	}
	reply.Error(ex, 403, CodeDenied, "access from this IP address is not allowed")
	return false, 0
}

// parseIP reads a textual address without copying it. netip.ParseAddr keeps no reference to its input once it
// returns a valid address (a zone is interned as a copy), and the error that holds it on failure is dropped here.
func parseIP(b []byte) (netip.Addr, bool) {
	if len(b) == 0 || len(b) > maxEntryLength {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(unsafe.String(&b[0], len(b)))
	return ip, err == nil
}

// HandleResponse does nothing: the ACL only runs before the backend.
func (a *ACL) HandleResponse(abi.Exchange, uint32, bool) {}

var _ abi.Plugin = (*ACL)(nil)
