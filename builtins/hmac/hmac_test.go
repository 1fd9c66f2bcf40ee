package hmac

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/abi/memexchange"
)

// The client below is written from the seed's "HMAC 인증을 위한 API 클라이언트 작업" alone, independently of the
// plugin's code: build SignToString, HMAC it with the secret's bytes, base64 the digest, and send
// Authorization: hmac algorithm="…", headers="…", signature="…" with x-nhn-date.

type testRequest struct {
	method, uri, date string
	header            http.Header // without Authorization and x-nhn-date
}

// signToString follows the seed: method, URL, date, then "name:v1,v2" for each listed header the request has, in
// the listed order, names in lower case, every line ending in "\n".
func signToString(r testRequest, listed []string) string {
	var b strings.Builder
	b.WriteString(r.method + "\n" + r.uri + "\n" + r.date + "\n")
	for _, name := range listed {
		values := r.header.Values(name)
		if len(values) == 0 {
			continue // a listed header the request lacks is left out
		}
		b.WriteString(strings.ToLower(name) + ":" + strings.Join(values, ",") + "\n")
	}
	return b.String()
}

func sign(secret, algorithm, message string) string {
	newHash := sha256.New
	if algorithm == "HmacSHA1" {
		newHash = func() hash.Hash { return sha1.New() }
	}
	mac := hmac.New(newHash, []byte(secret))
	mac.Write([]byte(message))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func authHeader(algorithm string, listed []string, signature string) string {
	return `hmac algorithm="` + algorithm + `", headers="` + strings.Join(listed, ",") + `", signature="` + signature + `"`
}

// signed returns r's full header set as a client sends it.
func signed(r testRequest, secret, algorithm string, listed []string) http.Header {
	h := r.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Authorization", authHeader(algorithm, listed, sign(secret, algorithm, signToString(r, listed))))
	h.Set("x-nhn-date", r.date)
	return h
}

// run sends header (the full set) with r's method and URI through a verifier built from config.
func run(t testing.TB, config string, r testRequest, header http.Header) (next bool, resp memexchange.Response) {
	t.Helper()
	p, err := abi.Default().Build(TypeName, abi.BuildContext{Phase: abi.PhaseRequest}, json.RawMessage(config))
	if err != nil {
		t.Fatal(err)
	}
	ex := memexchange.New(memexchange.Request{Method: r.method, URI: r.uri, Header: header,
		Vars: map[string]string{"request.id": "req-1"}})
	next, _ = p.HandleRequest(ex)
	return next, ex.Response()
}

const secret = "HMAC에 설정한 비밀키"

// seedRequest is the seed's example request, with its Host header read as a host (see appendSignToString).
func seedRequest() testRequest {
	return testRequest{method: "GET", uri: "/members?isEnable=false&type=public", date: "2021-02-23T00:00:00+09:00",
		header: http.Header{"Host": {"kr1-example.api.nhncloudservice.com"}, "X-Nhn-Client-Id": {"nhn"},
			"X-Nhn-Client-Ip": {"10.0.0.1,10.0.0.2"}}}
}

var seedHeaders = []string{"host", "x-nhn-client-id", "x-nhn-client-ip"}

func TestSeedSignToString(t *testing.T) {
	want := "GET\n/members?isEnable=false&type=public\n2021-02-23T00:00:00+09:00\n" +
		"host:kr1-example.api.nhncloudservice.com\nx-nhn-client-id:nhn\nx-nhn-client-ip:10.0.0.1,10.0.0.2\n"
	r := seedRequest()
	if got := signToString(r, seedHeaders); got != want {
		t.Fatalf("test client SignToString = %q, want %q", got, want)
	}
	for name, ip := range map[string][]string{"one value": {"10.0.0.1,10.0.0.2"}, "two values": {"10.0.0.1", "10.0.0.2"}} {
		t.Run(name, func(t *testing.T) {
			h := r.header.Clone()
			h["X-Nhn-Client-Ip"] = ip
			ex := memexchange.New(memexchange.Request{Method: r.method, URI: r.uri, Header: h})
			got, _ := appendSignToString(nil, nil, ex, []byte(r.date), []byte(strings.Join(seedHeaders, ",")))
			if string(got) != want {
				t.Fatalf("plugin SignToString = %q, want %q", got, want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	now := time.Now()
	fresh := now.UTC().Format("2006-01-02T15:04:05Z")
	at := func(d time.Duration) string { return now.Add(d).In(time.FixedZone("", 9*3600)).Format(time.RFC3339) }
	base := testRequest{method: "POST", uri: "/orders/7?expand=items&x=%2F", date: fresh,
		header: http.Header{"Host": {"api.example.com"}, "X-Nhn-Client-Id": {"nhn"}, "Content-Type": {"application/json"}}}
	with := func(f func(r *testRequest)) testRequest {
		r := base
		r.header = base.header.Clone()
		f(&r)
		return r
	}
	listed := []string{"host", "x-nhn-client-id"}
	const cfg = `{"type":"hmac","secret":"` + secret + `","validitySeconds":300,"requiredHeaders":["Host"]}`
	const noTime = `{"secret":"` + secret + `","validitySeconds":0,"requiredHeaders":["host"]}`

	tests := []struct {
		name, config string
		request      testRequest
		header       http.Header // nil: signed(request, secret, HmacSHA256, listed)
		want         string      // "" passes
	}{
		{name: "HmacSHA256", config: cfg, request: base},
		{name: "HmacSHA1", config: cfg, request: base, header: signed(base, secret, "HmacSHA1", listed)},
		{name: "seed example", config: noTime, request: seedRequest(), header: signed(seedRequest(), secret, "HmacSHA256", seedHeaders)},
		{name: "seed example with the example's spaces", config: noTime, request: seedRequest(),
			header: func() http.Header {
				r := seedRequest()
				msg := "GET\n/members?isEnable=false&type=public\n2021-02-23T00:00:00+09:00\n" +
					"host:kr1-example.api.nhncloudservice.com\nx-nhn-client-id: nhn\nx-nhn-client-ip: 10.0.0.1,10.0.0.2\n"
				h := r.header.Clone()
				h.Set("Authorization", `hmac algorithm="HmacSHA256", headers="host,x-nhn-client-id,x-nhn-client-ip" , signature="`+
					sign(secret, "HmacSHA256", msg)+`"`)
				h.Set("x-nhn-date", r.date)
				return h
			}(), want: CodeSignature},
		{name: "offset date inside the window", config: cfg, request: with(func(r *testRequest) { r.date = at(-290 * time.Second) })},
		{name: "future date inside the window", config: cfg, request: with(func(r *testRequest) { r.date = at(290 * time.Second) })},
		{name: "replay outside the window", config: cfg, request: with(func(r *testRequest) { r.date = at(-400 * time.Second) }), want: CodeExpired},
		{name: "future beyond the window", config: cfg, request: with(func(r *testRequest) { r.date = at(400 * time.Second) }), want: CodeExpired},
		{name: "no time check", config: noTime, request: with(func(r *testRequest) { r.date = "2001-01-01T00:00:00Z" })},
		{name: "listed header absent is left out", config: cfg, request: base,
			header: signed(base, secret, "HmacSHA256", []string{"host", "x-absent", "x-nhn-client-id"})},
		{name: "multiple values", config: cfg, request: with(func(r *testRequest) { r.header["X-Multi"] = []string{"a", "b c", "d"} }),
			header: signed(with(func(r *testRequest) { r.header["X-Multi"] = []string{"a", "b c", "d"} }), secret, "HmacSHA256",
				[]string{"X-Multi", "host"})},
		{name: "reordered headers", config: cfg, request: base, header: func() http.Header {
			h := signed(base, secret, "HmacSHA256", []string{"x-nhn-client-id", "host"}) // signed in this order…
			h.Set("Authorization", strings.Replace(h.Get("Authorization"), "x-nhn-client-id,host", "host,x-nhn-client-id", 1))
			return h // … but headers="…" says the other
		}(), want: CodeSignature},
		{name: "required header missing from the request", config: cfg,
			request: with(func(r *testRequest) { r.header.Del("Host") }), want: CodeRequiredHeader},
		{name: "required header not listed", config: cfg, request: base,
			header: signed(base, secret, "HmacSHA256", []string{"x-nhn-client-id"}), want: CodeRequiredHeader},
		{name: "wrong secret", config: cfg, request: base, header: signed(base, "another secret", "HmacSHA256", listed), want: CodeSignature},
		{name: "algorithm mismatch", config: cfg, request: base, header: func() http.Header {
			h := signed(base, secret, "HmacSHA1", listed)
			h.Set("Authorization", strings.Replace(h.Get("Authorization"), "HmacSHA1", "HmacSHA256", 1))
			return h
		}(), want: CodeSignature},
		{name: "tampered URI", config: cfg, request: base, header: signed(with(func(r *testRequest) { r.uri = "/orders/8" }),
			secret, "HmacSHA256", listed), want: CodeSignature},
		{name: "tampered method", config: cfg, request: base, header: signed(with(func(r *testRequest) { r.method = "GET" }),
			secret, "HmacSHA256", listed), want: CodeSignature},
		{name: "tampered header", config: cfg, request: base, header: func() http.Header {
			h := signed(base, secret, "HmacSHA256", listed)
			h.Set("X-Nhn-Client-Id", "evil")
			return h
		}(), want: CodeSignature},
		{name: "no authorization", config: cfg, request: base, header: http.Header{"X-Nhn-Date": {fresh}, "Host": {"h"}}, want: CodeMissing},
		{name: "no date", config: cfg, request: base, header: func() http.Header {
			h := signed(base, secret, "HmacSHA256", listed)
			h.Del("x-nhn-date")
			return h
		}(), want: CodeMissing},
		{name: "two dates", config: cfg, request: base, header: func() http.Header {
			h := signed(base, secret, "HmacSHA256", listed)
			h.Add("x-nhn-date", fresh)
			return h
		}(), want: CodeMalformed},
		{name: "unknown algorithm", config: cfg, request: base, header: func() http.Header {
			h := signed(base, secret, "HmacSHA256", listed)
			h.Set("Authorization", strings.Replace(h.Get("Authorization"), "HmacSHA256", "HmacMD5", 1))
			return h
		}(), want: CodeAlgorithm},
		{name: "bad date", config: cfg, request: with(func(r *testRequest) { r.date = "Tue, 23 Feb 2021 00:00:00 GMT" }), want: CodeDate},
		{name: "impossible date", config: cfg, request: with(func(r *testRequest) { r.date = "2021-02-30T00:00:00Z" }), want: CodeDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = signed(tt.request, secret, "HmacSHA256", listed)
			}
			next, resp := run(t, tt.config, tt.request, h)
			if tt.want == "" {
				if !next {
					t.Fatalf("refused: %d %s", resp.Status, resp.Body)
				}
				return
			}
			if next || resp.Status != 401 || !strings.Contains(string(resp.Body), `"code":"`+tt.want+`"`) {
				t.Fatalf("got next=%v %d %s, want 401 %s", next, resp.Status, resp.Body, tt.want)
			}
		})
	}
}

func TestMalformedAuthorization(t *testing.T) {
	r := testRequest{method: "GET", uri: "/", date: time.Now().UTC().Format(time.RFC3339), header: http.Header{}}
	good := sign(secret, "HmacSHA256", signToString(r, nil))
	tests := []struct{ name, value, want string }{
		{"bearer", "Bearer abc", CodeMalformed},
		{"scheme only", "hmac", CodeMalformed},
		{"scheme glued", `hmacalgorithm="HmacSHA256"`, CodeMalformed},
		{"no signature", `hmac algorithm="HmacSHA256", headers=""`, CodeMalformed},
		{"no algorithm", `hmac headers="", signature="` + good + `"`, CodeMalformed},
		{"empty signature", `hmac algorithm="HmacSHA256", signature=""`, CodeMalformed},
		{"not base64", `hmac algorithm="HmacSHA256", signature="@@@@"`, CodeMalformed},
		{"unterminated quote", `hmac algorithm="HmacSHA256, signature="` + good, CodeMalformed},
		{"duplicate parameter", `hmac algorithm="HmacSHA256", signature="` + good + `", signature="` + good + `"`, CodeMalformed},
		{"missing comma", `hmac algorithm="HmacSHA256" signature="` + good + `"`, CodeMalformed},
		{"bad header name", `hmac algorithm="HmacSHA256", headers="host,(x)", signature="` + good + `"`, CodeMalformed},
		{"empty header name", `hmac algorithm="HmacSHA256", headers="host,,x", signature="` + good + `"`, CodeMalformed},
		{"header twice", `hmac algorithm="HmacSHA256", headers="host,HOST", signature="` + good + `"`, CodeMalformed},
		{"escape in value", `hmac algorithm="Hmac\"SHA256", signature="` + good + `"`, CodeMalformed},
		{"too long", `hmac algorithm="HmacSHA256", x="` + strings.Repeat("a", 5000) + `", signature="` + good + `"`, CodeMalformed},
		{"long signature", `hmac algorithm="HmacSHA256", signature="` + strings.Repeat("A", 100) + `"`, CodeMalformed},
		{"short signature", `hmac algorithm="HmacSHA256", signature="AAAA"`, CodeSignature},
		// Accepted variations: scheme case, bare tokens, spacing, unknown parameters, unpadded base64.
		{"variations", `HMAC  algorithm = HmacSHA256 ,signature=` + strings.TrimRight(good, "=") + ` , headers="", v="1",`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Authorization": {tt.value}, "X-Nhn-Date": {r.date}}
			next, resp := run(t, `{"secret":"`+secret+`","validitySeconds":300}`, r, h)
			if tt.want == "" {
				if !next {
					t.Fatalf("refused: %s", resp.Body)
				}
				return
			}
			if next || !strings.Contains(string(resp.Body), `"code":"`+tt.want+`"`) {
				t.Fatalf("got next=%v %s, want %s", next, resp.Body, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct{ in, same string }{
		{"2021-02-23T00:00:00+09:00", "2021-02-22T15:00:00Z"},
		{"2021-02-23T00:00:00+0900", "2021-02-22T15:00:00Z"},
		{"2021-02-22T10:30:00-04:30", "2021-02-22T15:00:00Z"},
		{"2021-02-22t15:00:00z", "2021-02-22T15:00:00Z"},
		{"2021-02-22T15:00:00.5Z", "2021-02-22T15:00:00.500000000Z"},
		{"2024-02-29T23:59:59.123456789+00:00", "2024-02-29T23:59:59.123456789Z"},
	}
	for _, tt := range tests {
		got, ok := parseDate([]byte(tt.in))
		want, err := time.Parse(time.RFC3339Nano, tt.same)
		if !ok || err != nil || got != want.UnixNano() {
			t.Errorf("parseDate(%q) = %d %v, want %d", tt.in, got, ok, want.UnixNano())
		}
	}
	for _, bad := range []string{"", "2021-02-23", "2021-02-23T00:00:00", "2021-02-23 00:00:00Z", "2021-13-01T00:00:00Z",
		"2023-02-29T00:00:00Z", "2021-02-23T24:00:00Z", "2021-02-23T00:00:60Z", "2021-02-23T00:00:00+24:00",
		"2021-02-23T00:00:00+09", "2021-02-23T00:00:00.Z", "2021-02-23T00:00:00.1234567890Z", "2021-02-23T00:00:00Z ",
		"+021-02-23T00:00:00Z", "2021-02-23T00:00:00GMT"} {
		if _, ok := parseDate([]byte(bad)); ok {
			t.Errorf("parseDate(%q) accepted", bad)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct{ name, config, want string }{
		{"empty", ``, "config: missing"},
		{"unknown field", `{"secret":"s","algorithm":"x"}`, `unknown field "algorithm"`},
		{"wrong type", `{"type":"jwt","secret":"s"}`, `type: "jwt" is not "hmac"`},
		{"no secret", `{"validitySeconds":10}`, "secret: required"},
		{"negative validity", `{"secret":"s","validitySeconds":-1}`, "validitySeconds: -1 is not between 0 and 86400"},
		{"huge validity", `{"secret":"s","validitySeconds":86401}`, "validitySeconds: 86401"},
		{"bad header", `{"secret":"s","requiredHeaders":["host","x y"]}`, `requiredHeaders[1]: "x y" is not a valid header name`},
		{"authorization", `{"secret":"s","requiredHeaders":["Authorization"]}`, "requiredHeaders[0]: authorization"},
		{"twice", `{"secret":"s","requiredHeaders":["host","Host"]}`, `requiredHeaders[1]: "Host" is listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(json.RawMessage(tt.config))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%s) = %v, want %q", tt.config, err, tt.want)
			}
		})
	}
}

func TestSecretRedacted(t *testing.T) {
	c := Config{Secret: "top-secret-value", ValiditySeconds: 5}
	var b strings.Builder
	b.WriteString(c.String())
	b.WriteString(c.LogValue().String())
	if strings.Contains(b.String(), "top-secret-value") {
		t.Fatalf("the secret leaks: %s", b.String())
	}
	_, err := Parse(json.RawMessage(`{"secret":"top-secret-value","validitySeconds":-5}`))
	if err == nil || strings.Contains(err.Error(), "top-secret-value") {
		t.Fatalf("the secret leaks in %v", err)
	}
}
