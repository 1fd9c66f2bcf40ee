// Command ip-block is a Portico plugin that answers 403 to clients whose IP address is on a block list of
// addresses and CIDR ranges; other requests go on to the backend.
//
// Config: {"block": ["203.0.113.0/24", "198.51.100.7", "2001:db8::/32"]}
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o ip-block.wasm .
package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	portico "github.com/portico-gateway/portico/wasm-sdk/go"
)

type config struct {
	Block   []string `json:"block"`   // IPv4/IPv6 addresses and CIDR ranges
	Status  uint32   `json:"status"`  // answer status, 400–599; default 403
	Message string   `json:"message"` // error message; default "Access from your IP address is not allowed."
}

// blockList is the parsed config, set once per instance by Init and only read afterwards.
type blockList struct {
	prefixes []netip.Prefix
	status   uint32
	message  string
}

var list blockList

func init() {
	portico.HandleRequest(handleRequest)
	portico.Init(func(raw []byte) error {
		l, err := parseConfig(raw)
		if err != nil {
			return fmt.Errorf("ip-block: config: %w", err)
		}
		list = l
		return nil
	})
}

func parseConfig(raw []byte) (blockList, error) {
	var c config
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return blockList{}, err
	}
	l := blockList{status: 403, message: "Access from your IP address is not allowed."}
	if c.Status != 0 {
		if c.Status < 400 || c.Status > 599 {
			return blockList{}, fmt.Errorf(`"status" %d is not a 4xx or 5xx status`, c.Status)
		}
		l.status = c.Status
	}
	if c.Message != "" {
		l.message = c.Message
	}
	for i, s := range c.Block {
		p, err := parsePrefix(s)
		if err != nil {
			return blockList{}, fmt.Errorf(`"block"[%d]: %w`, i, err)
		}
		l.prefixes = append(l.prefixes, p)
	}
	return l, nil
}

// parsePrefix reads "203.0.113.0/24" or a single address, which becomes a /32 or /128.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 { // ::ffff:a.b.c.d/n is the IPv4 range a.b.c.d/(n-96)
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (l *blockList) blocked(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range l.prefixes { // a linear scan: block lists are short; sort and search for thousands
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func handleRequest(req portico.Request, resp portico.Response) (next bool, reqCtx uint32) {
	// request.clientIp is the client as the gateway resolved it (PROXY protocol, trusted X-Forwarded-For).
	ip, ok := portico.ContextVar("request.clientIp")
	if !ok {
		ip = req.ClientIP()
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		// Fail closed: a block list that cannot tell who is asking does not let them in.
		portico.Log(portico.LogWarn, "ip-block: unreadable client IP "+ip)
	} else if !list.blocked(a) {
		return true, 0
	}
	if portico.LogEnabled(portico.LogDebug) {
		portico.Log(portico.LogDebug, "ip-block: blocked "+ip)
	}
	id, _ := portico.ContextVar("request.id")
	// Headers before the status: some http-wasm hosts send the status line as soon as it is set.
	resp.Headers().Set("content-type", "application/json")
	resp.SetStatusCode(list.status)
	resp.Body().Write(errorBody(list.message, id))
	return false, 0
}

// errorBody is the gateway's error shape: {"error":{"code":"ip_blocked","message":…,"requestId":…}}.
func errorBody(message, requestID string) []byte {
	type detail struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	}
	b, _ := json.Marshal(struct {
		Error detail `json:"error"`
	}{detail{"ip_blocked", message, requestID}})
	return b
}

func main() {} // a reactor: the host calls _initialize (which runs init) and then the handlers
