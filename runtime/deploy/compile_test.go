package deploy

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/portico-gateway/portico/runtime/proxy"
	"github.com/portico-gateway/portico/storage"
)

func httpMethod(m, path string) storage.Method {
	return storage.Method{HTTPMethod: m, Backend: storage.Backend{Type: storage.BackendHTTP, Path: path}}
}

func snapshot(resources ...storage.Resource) storage.Snapshot {
	return storage.Snapshot{ServiceID: "svc00001", StageName: "test", BackendURL: "http://127.0.0.1:9000",
		Resources: storage.ResourceTree{Resources: resources}}
}

func TestCompileErrorsNameTheField(t *testing.T) {
	c := &Compiler{Transport: proxy.NewTransport(proxy.Options{})}
	tests := []struct {
		name  string
		snap  storage.Snapshot
		field string
	}{
		{"undeclared variable", snapshot(storage.Resource{Path: "/a", Methods: []storage.Method{httpMethod("GET", "/${request.path.x}")}}), "GET /a backend.path"},
		{"bad backend url", func() storage.Snapshot {
			s := snapshot(storage.Resource{Path: "/a", Methods: []storage.Method{httpMethod("GET", "/a")}})
			s.BackendURL = "ftp://x"
			return s
		}(), "backendUrl"},
		{"mock status", snapshot(storage.Resource{Path: "/a", Methods: []storage.Method{{HTTPMethod: "GET", Backend: storage.Backend{Type: "mock", Status: 42}}}}), "GET /a backend.status"},
		{"unknown backend type", snapshot(storage.Resource{Path: "/a", Methods: []storage.Method{{HTTPMethod: "GET", Backend: storage.Backend{Type: "lambda"}}}}), "GET /a backend.type"},
		{"plugin not in this build", snapshot(storage.Resource{Path: "/a", Plugins: []storage.PluginBinding{{Type: "cors"}}, Methods: []storage.Method{httpMethod("GET", "/a")}}), "/a plugins.cors"},
		{"no methods", snapshot(storage.Resource{Path: "/a"}), "resources"},
		{"unsupported setting", func() storage.Snapshot {
			s := snapshot(storage.Resource{Path: "/a", Methods: []storage.Method{httpMethod("GET", "/a")}})
			s.Settings = storage.StageSettings{"/": {Settings: storage.Settings{IPACL: json.RawMessage(`{"mode":"allow"}`)}}}
			return s
		}(), "settings./.ipAcl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Compile(1, tt.snap)
			se, ok := storage.AsError(err)
			if !ok || se.Code != CodeInvalidDeployment || se.Field != tt.field {
				t.Fatalf("error = %v (field %q), want field %q", err, fieldOf(se), tt.field)
			}
		})
	}
}

func fieldOf(e *storage.Error) string {
	if e == nil {
		return ""
	}
	return e.Field
}

func TestBackendURLOverrideInheritance(t *testing.T) {
	s := newSettingsIndex(storage.StageSettings{
		"/b":     {Settings: storage.Settings{BackendURL: "http://b"}, Methods: map[string]storage.Settings{"POST": {BackendURL: "http://b-post"}}},
		"/b/c":   {},
		"/":      {Settings: storage.Settings{BackendURL: ""}},
		"/d/{x}": {Methods: map[string]storage.Settings{"GET": {BackendURL: "http://d-get"}}},
	})
	for _, tc := range []struct{ path, method, want string }{
		{"/a", "GET", ""},
		{"/b", "GET", "http://b"},
		{"/b", "POST", "http://b-post"},
		{"/b/c/d", "GET", "http://b"},
		{"/d/{x}", "GET", "http://d-get"},
		{"/d/{x}", "PUT", ""},
	} {
		if got := s.backendURL(tc.path, tc.method); got != tc.want {
			t.Errorf("backendURL(%s %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestHosts(t *testing.T) {
	for _, tc := range []struct {
		h                  Hosts
		svc, stage, expect string
	}{
		{Hosts{}, "shop0001", "", "shop0001.localhost"},
		{Hosts{Domain: "api.example.com"}, "shop0001", "test", "shop0001-test.api.example.com"},
		{Hosts{Domain: "api.example.com", Region: "kr1"}, "shop0001", "test", "kr1-shop0001-test.api.example.com"},
	} {
		if got := tc.h.StageHost(tc.svc, tc.stage); got != tc.expect {
			t.Errorf("%+v %s %s = %q", tc.h, tc.svc, tc.stage, got)
		}
	}
}

// BenchmarkCompile compiles a stage of 1 000 routes, the DESIGN target being well under 100 ms per deploy.
func BenchmarkCompile(b *testing.B) {
	var res []storage.Resource
	for i := 0; i < 500; i++ {
		res = append(res,
			storage.Resource{Path: fmt.Sprintf("/svc%d/items", i), Methods: []storage.Method{httpMethod("GET", fmt.Sprintf("/api/%d/items", i))}},
			storage.Resource{Path: fmt.Sprintf("/svc%d/items/{id}", i), Methods: []storage.Method{httpMethod("GET", fmt.Sprintf("/api/%d/items/${request.path.id}", i))}},
		)
	}
	snap := snapshot(res...)
	c := &Compiler{Transport: proxy.NewTransport(proxy.Options{})}
	b.ReportAllocs()
	for b.Loop() {
		st, err := c.Compile(1, snap)
		if err != nil || !strings.Contains(st.ServiceID, "svc") {
			b.Fatal(err)
		}
	}
}
