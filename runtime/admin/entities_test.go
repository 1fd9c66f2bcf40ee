package admin

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/storage"
)

func TestETagIfMatch(t *testing.T) {
	e := newEnv(t)
	svc, _, m := e.seed()
	svcURL := "/v1/services/" + svc.ID
	if r := e.call("GET", svcURL, ""); r.header.Get("ETag") != etag(svc.Version) {
		t.Fatalf("GET ETag %q, want %q", r.header.Get("ETag"), etag(svc.Version))
	}
	v := svc.Version
	tests := []struct {
		name    string
		ifMatch string
		status  int
		code    string
	}{
		{"current quoted", etag(v), 200, ""},
		{"stale quoted", etag(v), 412, storage.CodeVersionMismatch},
		{"current bare", itoa(v + 1), 200, ""},
		{"star", "*", 200, ""},
		{"absent", "", 200, ""},
		{"malformed", `"abc"`, 400, "invalid_if_match"},
		{"weak", `W/"3"`, 400, "invalid_if_match"},
		{"zero", `"0"`, 400, "invalid_if_match"},
	}
	desc := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desc++
			body := `{"description":"d` + itoa(int64(desc)) + `"}`
			r := e.call("PATCH", svcURL, body, "If-Match", tt.ifMatch)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" {
				if got := r.errorBody(t); got.Code != tt.code {
					t.Fatalf("code %q, want %q", got.Code, tt.code)
				}
				return
			}
			var s storage.Service
			if err := json.Unmarshal(r.body, &s); err != nil {
				t.Fatal(err)
			}
			if r.header.Get("ETag") != etag(s.Version) || s.Name != "members" {
				t.Fatalf("ETag %q for %+v", r.header.Get("ETag"), s)
			}
		})
	}

	// DELETE honours If-Match too, and a stale one changes nothing.
	cur := must(e.client.GetMethod(ctxBG, svc.ID, m.ID))(t)
	err := e.client.DeleteMethod(ctxBG, svc.ID, m.ID, cur.Version+5)
	wantAPIError(t, err, http.StatusPreconditionFailed, storage.CodeVersionMismatch)
	must(e.client.GetMethod(ctxBG, svc.ID, m.ID))(t)

	// The tree's ETag is a content digest that PUT checks.
	tree, tag, err := e.client.ResourceTree(ctxBG, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	must(e.client.UpdateMethod(ctxBG, svc.ID, m.ID, MethodPatch{Name: ptr("renamed")}, 0))(t)
	_, err = e.client.ReplaceTree(ctxBG, svc.ID, tree, tag)
	wantAPIError(t, err, http.StatusPreconditionFailed, storage.CodeVersionMismatch)
	_, tag, _ = e.client.ResourceTree(ctxBG, svc.ID)
	if _, err := e.client.ReplaceTree(ctxBG, svc.ID, tree, tag); err != nil {
		t.Fatalf("replace with the current ETag: %v", err)
	}
}

func TestPatchMerges(t *testing.T) {
	e := newEnv(t)
	svc, _, m := e.seed()
	got := must(e.client.UpdateMethod(ctxBG, svc.ID, m.ID, MethodPatch{Description: ptr("only this")}, m.Version))(t)
	if got.Name != m.Name || got.Backend.Path != m.Backend.Path || got.Description != "only this" {
		t.Fatalf("patched method %+v from %+v", got, m)
	}
	_, err := e.client.UpdateMethod(ctxBG, svc.ID, m.ID, MethodPatch{Method: ptr("POST")}, 0)
	if ae := wantAPIError(t, err, 400, storage.CodeInvalid); ae.Field != "method" {
		t.Errorf("field %q", ae.Field)
	}
	got = must(e.client.UpdateMethod(ctxBG, svc.ID, m.ID, MethodPatch{Method: ptr("GET"),
		Backend: &BackendPatch{Path: ptr("/v2/users/${request.path.memberId}")}}, 0))(t)
	if got.Backend.Type != storage.BackendHTTP || got.Backend.Path != "/v2/users/${request.path.memberId}" {
		t.Fatalf("backend %+v", got.Backend)
	}

	st := must(e.client.UpdateStage(ctxBG, svc.ID, "dev", StagePatch{Settings: map[string]*storage.PathSettings{
		"/":                   {Settings: storage.Settings{BackendURL: "http://127.0.0.1:7"}},
		"/members/{memberId}": {Settings: storage.Settings{BackendURL: "http://127.0.0.1:6"}},
	}}, 0))(t)
	if len(st.Settings) != 2 {
		t.Fatalf("settings %+v", st.Settings)
	}
	st = must(e.client.UpdateStage(ctxBG, svc.ID, "dev", StagePatch{Description: ptr("d"),
		Settings: map[string]*storage.PathSettings{"/": nil}}, st.Version))(t)
	if len(st.Settings) != 1 || st.Settings["/members/{memberId}"].BackendURL != "http://127.0.0.1:6" ||
		st.Description != "d" || st.BackendURL != "http://127.0.0.1:9" {
		t.Fatalf("stage after merge %+v", st)
	}
	_, err = e.client.UpdateStage(ctxBG, svc.ID, "dev", StagePatch{Name: ptr("prod")}, 0)
	wantAPIError(t, err, 400, storage.CodeInvalid)

	p := must(e.client.AddResourcePlugin(ctxBG, svc.ID, m.ResourceID, PluginInput{Type: "headers",
		Phase: storage.PhaseRequest, Config: json.RawMessage(`{"a":1}`)}))(t)
	p2 := must(e.client.UpdatePlugin(ctxBG, svc.ID, p.ID, PluginPatch{OverrideChildren: ptr(true)}, p.Version))(t)
	if !p2.OverrideChildren || string(p2.Config) != `{"a":1}` || p2.Phase != storage.PhaseRequest {
		t.Fatalf("plugin after patch %+v", p2)
	}
	if err := e.client.DeletePlugin(ctxBG, svc.ID, p.ID, p2.Version); err != nil {
		t.Fatal(err)
	}
}

// TestValidation checks that a rule broken in the input is a 400 naming the code and field, and changes nothing.
func TestValidation(t *testing.T) {
	e := newEnv(t)
	svc, res, _ := e.seed()
	base := "/v1/services/" + svc.ID
	res1 := "/resources/" + itoa(res.ID)
	tests := []struct {
		name, method, path, body string
		field                    string
	}{
		{"path without slash", "POST", "/resources", `{"path":"members"}`, "path"},
		{"path with bad variable", "POST", "/resources", `{"path":"/a/{b"}`, "path"},
		{"undeclared variable in backend path", "POST", res1 + "/methods",
			`{"method":"POST","backend":{"type":"http","path":"/u/${request.path.userId}"}}`, "backend.path"},
		{"unknown http method", "POST", res1 + "/methods",
			`{"method":"FETCH","backend":{"type":"http","path":"/"}}`, "method"},
		{"mock without status", "POST", res1 + "/methods",
			`{"method":"PUT","backend":{"type":"mock"}}`, "backend.status"},
		{"backend URL without scheme", "POST", "/stages", `{"name":"prod","backendUrl":"api.example.com"}`,
			"backendUrl"},
		{"bad stage name", "POST", "/stages", `{"name":"Prod!","backendUrl":"http://x.example"}`, "name"},
		{"reserved stage name", "POST", "/stages", `{"name":"default","backendUrl":"http://x.example"}`, "name"},
		{"backend URL without scheme on patch", "PATCH", "/stages/dev", `{"backendUrl":"api.example.com"}`,
			"backendUrl"},
		{"plugin config refused", "POST", res1 + "/plugins", `{"type":"strict","phase":"request","config":{}}`,
			"config.ok"},
		{"unknown plugin", "POST", res1 + "/plugins", `{"type":"nope","phase":"request"}`, "config.type"},
		{"empty service name", "POST", "", `{"name":""}`, "name"},
	}
	before := snapshotState(t, e, svc.ID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := base + tt.path
			if tt.path == "" {
				path = "/v1/services"
			}
			r := e.call(tt.method, path, tt.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			got := r.errorBody(t)
			if got.Code != storage.CodeInvalid || got.Field != tt.field || got.Message == "" {
				t.Fatalf("error %+v, want code %s field %q", got, storage.CodeInvalid, tt.field)
			}
			if after := snapshotState(t, e, svc.ID); !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused request changed the store:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// snapshotState renders everything the tests' service holds, to compare before and after.
func snapshotState(t *testing.T, e *env, svc string) string {
	t.Helper()
	var b strings.Builder
	for _, v := range []any{
		must(e.client.ListServices(ctxBG))(t),
		must(e.client.ListStages(ctxBG, svc))(t),
	} {
		data, _ := json.Marshal(v)
		b.Write(data)
	}
	tree, _, err := e.client.ResourceTree(ctxBG, svc)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(tree)
	b.Write(data)
	return b.String()
}

func TestConflicts(t *testing.T) {
	e := newEnv(t)
	svc, res, _ := e.seed()
	_, err := e.client.CreateMethod(ctxBG, svc.ID, res.ID, MethodInput{Method: "GET",
		Backend: storage.Backend{Type: storage.BackendHTTP, Path: "/"}})
	wantAPIError(t, err, http.StatusConflict, storage.CodeAlreadyExists)
	_, err = e.client.CreateService(ctxBG, ServiceInput{Name: "members"})
	wantAPIError(t, err, http.StatusConflict, storage.CodeAlreadyExists)
	_, err = e.client.CreateStage(ctxBG, svc.ID, StageInput{Name: "dev", BackendURL: "http://x.example"})
	wantAPIError(t, err, http.StatusConflict, storage.CodeAlreadyExists)
}

func TestMalformedRequests(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 256 })
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		code, field, msgHas      string
	}{
		{"syntax error", "POST", "/v1/services", "{\n  \"name\": \"a\",,\n}", nil, 400, "invalid_json", "",
			"line 2"},
		{"truncated", "POST", "/v1/services", `{"name": "a"`, nil, 400, "invalid_json", "", "ends early"},
		{"unknown field", "POST", "/v1/services", `{"name":"a","bogus":1}`, nil, 400, "invalid_json", "bogus",
			"bogus"},
		{"wrong type", "POST", "/v1/services", `{"name":5}`, nil, 400, "invalid_json", "name", "a string"},
		{"two values", "POST", "/v1/services", `{"name":"a"} {}`, nil, 400, "invalid_json", "", "after"},
		{"empty body", "POST", "/v1/services", ``, nil, 400, "invalid_json", "", "empty"},
		{"not an object", "POST", "/v1/services", `[1]`, nil, 400, "invalid_json", "", ""},
		{"too large", "POST", "/v1/services", `{"name":"` + strings.Repeat("a", 300) + `"}`, nil, 413,
			"body_too_large", "", "256"},
		{"wrong content type", "POST", "/v1/services", `{"name":"a"}`, []string{"Content-Type", "text/plain"},
			415, "unsupported_media_type", "", "application/json"},
		{"json with charset", "POST", "/v1/services", `{"name":"a"}`,
			[]string{"Content-Type", "application/json; charset=utf-8"}, 201, "", "", ""},
		{"bad id", "GET", "/v1/services/x/methods/abc", "", nil, 400, storage.CodeInvalid, "id", ""},
		{"unknown service", "GET", "/v1/services/nosuch/stages", "", nil, 404, storage.CodeNotFound, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(tt.method, tt.path, tt.body, tt.headers...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code == "" {
				return
			}
			got := r.errorBody(t)
			if got.Code != tt.code || got.Field != tt.field || !strings.Contains(got.Message, tt.msgHas) {
				t.Fatalf("error %+v, want code %q field %q message with %q", got, tt.code, tt.field, tt.msgHas)
			}
		})
	}
}

func TestInternalErrorsDontLeak(t *testing.T) {
	e := newEnv(t)
	e.store.Close()
	r := e.call("GET", "/v1/services", "")
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	got := r.errorBody(t)
	if got.Code != "internal" || strings.Contains(strings.ToLower(got.Message), "sql") {
		t.Fatalf("error %+v", got)
	}
	if !strings.Contains(e.logs.String(), got.RequestID) {
		t.Error("the internal error is not logged with its request ID")
	}
}

func TestClientErrorFormat(t *testing.T) {
	e := &APIError{Status: 400, Code: "invalid_argument", Message: "must start with /", Field: "path"}
	if got := e.Error(); got != "invalid_argument: must start with / (field path)" {
		t.Errorf("Error() = %q", got)
	}
	e.Field = ""
	if got := e.Error(); got != "invalid_argument: must start with /" {
		t.Errorf("Error() = %q", got)
	}
}
