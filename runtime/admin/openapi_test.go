package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/config"
	"github.com/portico-gateway/portico/storage"
)

// TestOpenAPICoversRoutes checks that the served document is valid JSON for OpenAPI 3.0 and documents exactly the
// routes the server registers, each of which the mux really routes.
func TestOpenAPICoversRoutes(t *testing.T) {
	srv := New(Config{Token: testToken})
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components map[string]map[string]json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("the document is not valid JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Fatalf("openapi %q, want 3.0.x", doc.OpenAPI)
	}

	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	registered := map[string]bool{}
	for _, p := range srv.patterns {
		registered[p] = true
	}
	for p := range registered {
		if !documented[p] {
			t.Errorf("route %s is not in the OpenAPI document", p)
		}
	}
	for p := range documented {
		if !registered[p] {
			t.Errorf("the OpenAPI document has %s, which the server doesn't route", p)
		}
	}

	// Each documented operation reaches its own pattern through the mux.
	sample := strings.NewReplacer("{svc}", "abc12345", "{id}", "7", "{stage}", "dev", "{host}", "api.example.com")
	for p := range documented {
		method, path, _ := strings.Cut(p, " ")
		req := httptest.NewRequest(method, sample.Replace(path), nil)
		if _, pattern := srv.mux.Handler(req); pattern != p {
			t.Errorf("%s %s routes to %q, want %q", method, sample.Replace(path), pattern, p)
		}
	}
	if !securityMatches(t, doc.Paths) {
		t.Error("the document's security doesn't match the server's public routes")
	}
	checkRefs(t, rec.Body.Bytes(), doc.Components)
}

// securityMatches checks that exactly the public operations declare no security.
func securityMatches(t *testing.T, paths map[string]map[string]json.RawMessage) bool {
	ok := true
	for path, item := range paths {
		for method, raw := range item {
			var op struct {
				Security *[]json.RawMessage `json:"security"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			public := op.Security != nil && len(*op.Security) == 0
			req := httptest.NewRequest(strings.ToUpper(method), path, nil)
			if public != isPublic(req) {
				t.Errorf("%s %s: documented public=%v, served public=%v", method, path, public, isPublic(req))
				ok = false
			}
		}
	}
	return ok
}

// checkRefs checks that every $ref in the document resolves.
func checkRefs(t *testing.T, doc []byte, components map[string]map[string]json.RawMessage) {
	t.Helper()
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				parts := strings.Split(strings.TrimPrefix(r, "#/components/"), "/")
				if len(parts) != 2 || components[parts[0]][parts[1]] == nil {
					t.Errorf("$ref %q does not resolve", r)
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	walk(root)
}

// TestOpenAPISchemasMatchTypes checks that every component schema lists exactly the JSON fields of its Go type.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	types := map[string]any{
		"Error": ErrorBody{}, "ErrorDetail": ErrorDetail{}, "HealthStatus": HealthStatus{},
		"RuntimeStatus": RuntimeStatus{}, "LiveStage": LiveStage{},
		"Service": storage.Service{}, "ServiceInput": ServiceInput{}, "ServicePatch": ServicePatch{},
		"ServiceList": ServiceList{}, "ResourceTree": storage.ResourceTree{}, "Resource": storage.Resource{},
		"ResourceInput": ResourceInput{}, "Method": storage.Method{}, "MethodInput": MethodInput{},
		"MethodPatch": MethodPatch{}, "Backend": storage.Backend{}, "BackendPatch": BackendPatch{},
		"PluginBinding": storage.PluginBinding{}, "PluginInput": PluginInput{}, "PluginPatch": PluginPatch{},
		"Settings": storage.Settings{}, "PathSettings": storage.PathSettings{}, "Stage": storage.Stage{},
		"StageInput": StageInput{}, "StagePatch": StagePatch{}, "StageList": StageList{},
		"ApplyResult": ApplyResult{}, "DeployRequest": DeployRequest{}, "Deployment": storage.Deployment{},
		"DeploymentList": DeploymentList{}, "Snapshot": storage.Snapshot{}, "ModuleRef": storage.ModuleRef{},
		"Domain": storage.Domain{}, "DomainInput": DomainInput{}, "DomainList": DomainList{},
		"Module": storage.Module{}, "ModuleList": ModuleList{}, "ModuleUpload": ModuleUpload{},
		"ConfigDocument": config.Document{}, "ConfigResult": config.Result{}, "ConfigChange": config.Change{},
		// API keys and usage plans.
		"QuotaUse": storage.QuotaUse{}, "APIKey": storage.APIKey{}, "KeyConnection": storage.KeyConnection{},
		"APIKeyInput": APIKeyInput{}, "APIKeyPatch": APIKeyPatch{}, "APIKeyWithValues": APIKeyWithValues{},
		"RegenerateRequest": RegenerateRequest{}, "APIKeyList": APIKeyList{}, "UsagePlan": storage.UsagePlan{},
		"UsagePlanInput": UsagePlanInput{}, "UsagePlanPatch": UsagePlanPatch{}, "UsagePlanList": UsagePlanList{},
		"PlanStage": storage.PlanStage{}, "PlanStageKey": storage.PlanStageKey{}, "PlanStageInput": PlanStageInput{},
		"PlanStageList": PlanStageList{}, "PlanKeyInput": PlanKeyInput{}, "PlanKeyList": PlanKeyList{},
		"MoveKeyRequest": MoveKeyRequest{}, "GeneratedKey": config.GeneratedKey{},
	}
	all := schemas()
	for name, s := range all {
		v, ok := types[name]
		if !ok {
			if name != "StageSettings" { // a map type: no fields to compare
				t.Errorf("schema %s has no Go type in this test", name)
			}
			continue
		}
		props, _ := s.(obj)["properties"].(obj)
		var got []string
		for p := range props {
			got = append(got, p)
		}
		sort.Strings(got)
		want := jsonFields(reflect.TypeOf(v))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("schema %s has properties %v; the Go type has %v", name, got, want)
		}
	}
	for name := range types {
		if all[name] == nil {
			t.Errorf("type %s has no schema", name)
		}
	}
}

// jsonFields lists the JSON names of a struct's fields, embedded structs flattened.
func jsonFields(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			names = append(names, jsonFields(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
