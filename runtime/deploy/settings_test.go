package deploy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/storage"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestStageChecksOrderAndPrecedence(t *testing.T) {
	s := newSettingsIndex(storage.StageSettings{
		"/": {Settings: storage.Settings{
			IPACL:     raw(`{"mode":"allow","addresses":["10.0.0.0/8"]}`),
			Auth:      raw(`{"type":"jwt","algorithm":"HS256","secret":"s"}`),
			RateLimit: raw(`{"rps":100}`),
		}},
		"/products/{id}": {
			Settings: storage.Settings{APIKey: raw(`true`), PreCall: raw(`{"method":"GET","url":"http://x"}`)},
			Methods: map[string]storage.Settings{
				"GET": {RateLimit: raw(`{"rps":5}`)},
			},
		},
		"/products/{id}/public": {Settings: storage.Settings{APIKey: raw(`false`)}},
	})
	describe := func(cs []check) string {
		var parts []string
		for _, c := range cs {
			parts = append(parts, c.typ+"@"+c.path+":"+c.method)
		}
		return strings.Join(parts, " ")
	}
	for _, tc := range []struct{ path, method, want string }{
		{"/", "GET", "ip-acl@/: jwt@/: rate-limit@/:"},
		{"/products/{id}", "GET", "ip-acl@/: api-key@/products/{id}: jwt@/: rate-limit@/products/{id}:GET pre-call@/products/{id}:"},
		{"/products/{id}", "PUT", "ip-acl@/: api-key@/products/{id}: jwt@/: rate-limit@/: pre-call@/products/{id}:"},
		{"/products/{id}/public", "GET", "ip-acl@/: jwt@/: rate-limit@/: pre-call@/products/{id}:"},
	} {
		cs, err := s.checks(tc.path, tc.method)
		if err != nil {
			t.Fatal(err)
		}
		if got := describe(cs); got != tc.want {
			t.Errorf("%s %s:\n got %s\nwant %s", tc.method, tc.path, got, tc.want)
		}
	}
	cs, _ := s.checks("/", "GET")
	if string(cs[1].raw) != `{"algorithm":"HS256","secret":"s"}` {
		t.Fatalf("auth config passed to the plugin: %s", cs[1].raw)
	}
}

func TestAuthWithoutType(t *testing.T) {
	s := newSettingsIndex(storage.StageSettings{"/": {Settings: storage.Settings{Auth: raw(`{"secret":"x"}`)}}})
	if _, err := s.checks("/a", "GET"); err == nil || !strings.Contains(err.Error(), `"hmac" or "jwt"`) {
		t.Fatalf("error %v", err)
	}
}
