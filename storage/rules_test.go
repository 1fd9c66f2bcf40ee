package storage

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

type ruleCase struct {
	name  string
	op    func(ctx context.Context, tx *Tx, f *fixture) error
	kind  ErrorKind
	code  string
	field string
}

func invalid(name, field string, op func(context.Context, *Tx, *fixture) error) ruleCase {
	return ruleCase{name: name, op: op, kind: KindInvalid, code: CodeInvalid, field: field}
}

func conflict(name, code, field string, op func(context.Context, *Tx, *fixture) error) ruleCase {
	return ruleCase{name: name, op: op, kind: KindConflict, code: code, field: field}
}

func notFound(name string, op func(context.Context, *Tx, *fixture) error) ruleCase {
	return ruleCase{name: name, op: op, kind: KindNotFound, code: CodeNotFound}
}

func stale(name string, op func(context.Context, *Tx, *fixture) error) ruleCase {
	return ruleCase{name: name, op: op, kind: KindStale, code: CodeVersionMismatch}
}

func limit(name string, op func(context.Context, *Tx, *fixture) error) ruleCase {
	return ruleCase{name: name, op: op, kind: KindLimit, code: CodeLimitExceeded}
}

// Shorthands for operations whose result the table ignores.
func createMethod(resource func(*fixture) int64, m Method) func(context.Context, *Tx, *fixture) error {
	return func(ctx context.Context, tx *Tx, f *fixture) error {
		_, err := tx.CreateMethod(ctx, "shop1", resource(f), m)
		return err
	}
}

func itemRes(f *fixture) int64 { return f.item }

func createStage(st Stage) func(context.Context, *Tx, *fixture) error {
	return func(ctx context.Context, tx *Tx, f *fixture) error {
		if st.ServiceID == "" {
			st.ServiceID = "shop1"
		}
		if st.BackendURL == "" && st.Name != "nourl" {
			st.BackendURL = "https://b.example.com"
		}
		_, err := tx.CreateStage(ctx, st)
		return err
	}
}

func addPlugin(p PluginBinding) func(context.Context, *Tx, *fixture) error {
	return func(ctx context.Context, tx *Tx, f *fixture) error {
		_, err := tx.AddResourcePlugin(ctx, "shop1", f.items, p)
		return err
	}
}

func createDomain(d Domain) func(context.Context, *Tx, *fixture) error {
	return func(ctx context.Context, tx *Tx, f *fixture) error {
		if d.ServiceID == "" {
			d.ServiceID, d.StageName = "shop1", ""
		}
		_, err := tx.CreateDomain(ctx, d)
		return err
	}
}

func replaceTree(rs ...Resource) func(context.Context, *Tx, *fixture) error {
	return func(ctx context.Context, tx *Tx, f *fixture) error {
		return tx.ReplaceTree(ctx, "shop1", ResourceTree{Resources: rs})
	}
}

func mock(status int) Backend { return Backend{Type: BackendMock, Status: status} }

// TestRules runs every refused operation inside a transaction that commits anyway, and checks the error's kind,
// code and field and that the database did not change at all.
func TestRules(t *testing.T) {
	f := newFixture(t)
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []ruleCase{
		// services
		invalid("service name required", "name", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateService(ctx, Service{})
			return err
		}),
		invalid("service name too long", "name", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateService(ctx, Service{Name: long(51)})
			return err
		}),
		invalid("service name control character", "name", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateService(ctx, Service{Name: "a\x01b"})
			return err
		}),
		invalid("service name padded", "name", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateService(ctx, Service{Name: " a"})
			return err
		}),
		invalid("service description too long", "description", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateService(ctx, Service{Name: "a", Description: long(501)})
			return err
		}),
		invalid("service id format", "id", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateService(ctx, Service{ID: "AB", Name: "a"})
			return err
		}),
		conflict("service duplicate name", CodeAlreadyExists, "name", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateService(ctx, Service{Name: "shop"})
			return err
		}),
		conflict("service duplicate id", CodeAlreadyExists, "id", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateService(ctx, Service{ID: "shop1", Name: "other"})
			return err
		}),
		limit("service limit", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateService(ctx, Service{Name: "third"})
			return err
		}),
		conflict("update service to a taken name", CodeAlreadyExists, "name", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdateService(ctx, Service{ID: "empty1", Name: "shop"}, 0)
			return err
		}),
		stale("update service stale", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdateService(ctx, Service{ID: "shop1", Name: "renamed"}, f.serviceVer+1)
			return err
		}),
		conflict("delete service with a plan-connected stage", CodeInUse, "", func(ctx context.Context, tx *Tx, f *fixture) error {
			return tx.DeleteService(ctx, "shop1", 0)
		}),
		notFound("unknown service", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.GetService(ctx, "nope")
			return err
		}),

		// resources
		invalid("resource path relative", "path", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateResource(ctx, "shop1", "items")
			return err
		}),
		invalid("resource path empty segment", "path", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateResource(ctx, "shop1", "/a//b")
			return err
		}),
		invalid("resource path too long", "path", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateResource(ctx, "shop1", "/"+long(255))
			return err
		}),
		invalid("resource under a greedy variable", "path", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateResource(ctx, "shop1", "/files/{p+}/x")
			return err
		}),
		invalid("resource sibling variable", "path", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateResource(ctx, "shop1", "/items/{name}")
			return err
		}),
		invalid("resource sibling variable as an ancestor", "path", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateResource(ctx, "shop1", "/items/{name}/parts")
			return err
		}),
		conflict("resource duplicate", CodeAlreadyExists, "path", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateResource(ctx, "shop1", "/items")
			return err
		}),
		notFound("resource of unknown service", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.CreateResource(ctx, "nope", "/x")
			return err
		}),
		notFound("resource of another service", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.GetResource(ctx, "empty1", f.item)
			return err
		}),
		stale("delete resource stale", func(ctx context.Context, tx *Tx, f *fixture) error {
			return tx.DeleteResource(ctx, "shop1", f.item, 2)
		}),

		// methods
		invalid("method verb unknown", "method", createMethod(itemRes, Method{HTTPMethod: "FETCH", Backend: httpBackend("/")})),
		conflict("method duplicate", CodeAlreadyExists, "method", createMethod(itemRes, Method{HTTPMethod: "get", Backend: httpBackend("/")})),
		invalid("method name too long", "name", createMethod(itemRes, Method{HTTPMethod: "PUT", Name: long(51), Backend: httpBackend("/")})),
		invalid("method description too long", "description", createMethod(itemRes, Method{HTTPMethod: "PUT", Description: long(501), Backend: httpBackend("/")})),
		invalid("backend type missing", "backend.type", createMethod(itemRes, Method{HTTPMethod: "PUT"})),
		invalid("backend type unknown", "backend.type", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: Backend{Type: "ftp"}})),
		invalid("http backend without path", "backend.path", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: httpBackend("")})),
		invalid("http backend relative path", "backend.path", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: httpBackend("x")})),
		invalid("http backend query string", "backend.path", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: httpBackend("/x?a=1")})),
		invalid("http backend fragment", "backend.path", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: httpBackend("/x#f")})),
		invalid("http backend undeclared variable", "backend.path", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: httpBackend("/x/${request.path.nope}")})),
		invalid("http backend variable of a child", "backend.path", createMethod(func(f *fixture) int64 { return f.items }, Method{HTTPMethod: "PUT", Backend: httpBackend("/x/${request.path.id}")})),
		invalid("http backend path too long", "backend.path", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: httpBackend("/" + long(1024))})),
		invalid("http backend with a status", "backend.status", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: Backend{Type: BackendHTTP, Path: "/", Status: 200}})),
		invalid("mock without status", "backend.status", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: mock(0)})),
		invalid("mock status out of range", "backend.status", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: mock(600)})),
		invalid("mock with a path", "backend.path", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: Backend{Type: BackendMock, Status: 200, Path: "/"}})),
		invalid("mock header name", "backend.headers.Bad Name", createMethod(itemRes, Method{HTTPMethod: "PUT",
			Backend: Backend{Type: BackendMock, Status: 200, Headers: map[string]string{"Bad Name": "v"}}})),
		invalid("mock header undeclared variable", "backend.headers.X-A", createMethod(itemRes, Method{HTTPMethod: "PUT",
			Backend: Backend{Type: BackendMock, Status: 200, Headers: map[string]string{"X-A": "${request.path.nope}"}}})),
		invalid("mock header CRLF", "backend.headers.X-A", createMethod(itemRes, Method{HTTPMethod: "PUT",
			Backend: Backend{Type: BackendMock, Status: 200, Headers: map[string]string{"X-A": "a\r\nb: c"}}})),
		invalid("mock body undeclared variable", "backend.body", createMethod(itemRes, Method{HTTPMethod: "PUT",
			Backend: Backend{Type: BackendMock, Status: 200, Body: "hi ${request.path.nope}"}})),
		invalid("mock body too large", "backend.body", createMethod(itemRes, Method{HTTPMethod: "PUT",
			Backend: Backend{Type: BackendMock, Status: 200, Body: long(1<<20 + 1)}})),
		invalid("method with a bad plugin", "plugins[0].phase", createMethod(itemRes, Method{HTTPMethod: "PUT",
			Backend: httpBackend("/"), Plugins: []PluginBinding{{Type: "headers", Phase: "later"}}})),
		limit("method limit", createMethod(itemRes, Method{HTTPMethod: "PUT", Backend: httpBackend("/")})),
		notFound("method on unknown resource", createMethod(func(*fixture) int64 { return 9999 }, Method{HTTPMethod: "PUT", Backend: httpBackend("/")})),
		conflict("update managed method", CodeManaged, "", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdateMethod(ctx, "shop1", Method{ID: f.options, Name: "x", Backend: mock(200)}, 0)
			return err
		}),
		conflict("delete managed method", CodeManaged, "", func(ctx context.Context, tx *Tx, f *fixture) error {
			return tx.DeleteMethod(ctx, "shop1", f.options, 0)
		}),
		invalid("update method verb", "method", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdateMethod(ctx, "shop1", Method{ID: f.get, HTTPMethod: "POST", Backend: httpBackend("/")}, 0)
			return err
		}),
		invalid("update method backend", "backend.path", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdateMethod(ctx, "shop1", Method{ID: f.get, Backend: httpBackend("/${request.path.x}")}, 0)
			return err
		}),
		stale("update method stale", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdateMethod(ctx, "shop1", Method{ID: f.get, Backend: httpBackend("/")}, 7)
			return err
		}),
		stale("delete method stale", func(ctx context.Context, tx *Tx, f *fixture) error {
			return tx.DeleteMethod(ctx, "shop1", f.get, 7)
		}),

		// plugins
		invalid("plugin phase", "phase", addPlugin(PluginBinding{Type: "headers", Phase: "middle"})),
		invalid("plugin type missing", "type", addPlugin(PluginBinding{})),
		invalid("plugin config not an object", "config", addPlugin(PluginBinding{Type: "headers", Config: []byte(`[1]`)})),
		invalid("plugin config malformed", "config", addPlugin(PluginBinding{Type: "headers", Config: []byte(`{"a":`)})),
		invalid("plugin refused by the registry", "config", addPlugin(PluginBinding{Type: "failing"})),
		invalid("plugin config field", "config.name", addPlugin(PluginBinding{Type: "strict", Config: []byte(`{}`)})),
		conflict("plugin on a managed method", CodeManaged, "", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.AddMethodPlugin(ctx, "shop1", f.options, PluginBinding{Type: "headers"})
			return err
		}),
		invalid("update plugin type", "type", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdatePlugin(ctx, "shop1", PluginBinding{ID: f.itemPlugin, Type: "cors"}, 0)
			return err
		}),
		invalid("update plugin phase", "phase", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdatePlugin(ctx, "shop1", PluginBinding{ID: f.itemPlugin, Phase: "sometime"}, 0)
			return err
		}),
		invalid("update plugin config", "config", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdatePlugin(ctx, "shop1", PluginBinding{ID: f.getPlug, Config: []byte(`{`)}, 0)
			return err
		}),
		stale("update plugin stale", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdatePlugin(ctx, "shop1", PluginBinding{ID: f.getPlug}, 2)
			return err
		}),
		stale("delete plugin stale", func(ctx context.Context, tx *Tx, f *fixture) error {
			return tx.DeletePlugin(ctx, "shop1", f.itemPlugin, 3)
		}),
		notFound("plugin of another service", func(ctx context.Context, tx *Tx, f *fixture) error {
			return tx.DeletePlugin(ctx, "empty1", f.itemPlugin, 0)
		}),

		// stages
		invalid("stage name upper case", "name", createStage(Stage{Name: "Dev"})),
		invalid("stage name default", "name", createStage(Stage{Name: "default"})),
		invalid("stage name too long", "name", createStage(Stage{Name: strings.Repeat("a", 31)})),
		conflict("stage duplicate", CodeAlreadyExists, "name", createStage(Stage{Name: "dev"})),
		conflict("stage duplicate default", CodeAlreadyExists, "name", createStage(Stage{Name: ""})),
		invalid("stage backend missing", "backendUrl", createStage(Stage{Name: "nourl"})),
		invalid("stage backend scheme", "backendUrl", createStage(Stage{Name: "x", BackendURL: "ftp://a.example.com"})),
		invalid("stage backend no host", "backendUrl", createStage(Stage{Name: "x", BackendURL: "https://"})),
		invalid("stage backend no scheme", "backendUrl", createStage(Stage{Name: "x", BackendURL: "a.example.com"})),
		invalid("stage backend userinfo", "backendUrl", createStage(Stage{Name: "x", BackendURL: "https://u:p@a.example.com"})),
		invalid("stage backend query", "backendUrl", createStage(Stage{Name: "x", BackendURL: "https://a.example.com/?a=1"})),
		invalid("stage backend fragment", "backendUrl", createStage(Stage{Name: "x", BackendURL: "https://a.example.com/#f"})),
		invalid("stage backend port", "backendUrl", createStage(Stage{Name: "x", BackendURL: "https://a.example.com:99999"})),
		invalid("stage backend too long", "backendUrl", createStage(Stage{Name: "x", BackendURL: "https://a.example.com/" + long(1010)})),
		invalid("stage settings path", `settings["bad"]`, createStage(Stage{Name: "x", Settings: StageSettings{"bad": {}}})),
		invalid("stage settings method", `settings["/"].methods["get"]`, createStage(Stage{Name: "x",
			Settings: StageSettings{"/": {Methods: map[string]Settings{"get": {}}}}})),
		invalid("stage settings JSON", `settings["/items"].ipAcl`, createStage(Stage{Name: "x",
			Settings: StageSettings{"/items": {Settings: Settings{IPACL: json.RawMessage(`{"allow":`)}}}})),
		invalid("stage settings method JSON", `settings["/items"].methods["GET"].rateLimit`, createStage(Stage{Name: "x",
			Settings: StageSettings{"/items": {Methods: map[string]Settings{"GET": {RateLimit: json.RawMessage(`nope`)}}}}})),
		invalid("stage settings backend override", `settings["/"].backendUrl`, createStage(Stage{Name: "x",
			Settings: StageSettings{"/": {Settings: Settings{BackendURL: "mailto:x"}}}})),
		limit("stage limit", createStage(Stage{Name: "prod"})),
		conflict("stage without methods", CodeNoMethods, "", createStage(Stage{ServiceID: "empty1", Name: "x"})),
		stale("update stage stale", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdateStage(ctx, Stage{ServiceID: "shop1", Name: "dev", BackendURL: "https://x.example.com"}, f.stageVer-1)
			return err
		}),
		invalid("update stage backend", "backendUrl", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.UpdateStage(ctx, Stage{ServiceID: "shop1", Name: "dev", BackendURL: "x"}, 0)
			return err
		}),
		conflict("delete stage connected to a plan", CodeInUse, "", func(ctx context.Context, tx *Tx, f *fixture) error {
			return tx.DeleteStage(ctx, "shop1", "dev", 0)
		}),
		notFound("apply to unknown stage", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, _, err := tx.ApplyResources(ctx, "shop1", "nope")
			return err
		}),

		// deployments
		conflict("deploy before applying resources", CodeNotApplied, "", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.Deploy(ctx, "shop1", "default", "", "", nil)
			return err
		}),
		invalid("deploy description too long", "description", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.Deploy(ctx, "shop1", "dev", long(501), "", nil)
			return err
		}),
		conflict("delete the deployed deployment", CodeInUse, "", func(ctx context.Context, tx *Tx, f *fixture) error {
			return tx.DeleteDeployment(ctx, "shop1", "dev", f.deployment)
		}),
		notFound("rollback to unknown deployment", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.Rollback(ctx, "shop1", "dev", 9999)
			return err
		}),
		notFound("deployment of another stage", func(ctx context.Context, tx *Tx, f *fixture) error {
			_, err := tx.GetDeployment(ctx, "shop1", "", f.deployment)
			return err
		}),

		// custom domains
		invalid("domain label starts with dash", "host", createDomain(Domain{Host: "-x.example.com"})),
		invalid("domain with space", "host", createDomain(Domain{Host: "a b.example.com"})),
		invalid("domain empty label", "host", createDomain(Domain{Host: "a..example.com"})),
		invalid("domain is an IP", "host", createDomain(Domain{Host: "10.0.0.1"})),
		invalid("domain base path variable", "basePath", createDomain(Domain{Host: "b.example.com", BasePath: "/{v}"})),
		conflict("domain duplicate", CodeAlreadyExists, "host", createDomain(Domain{Host: "API.example.com."})),
		notFound("domain of unknown stage", createDomain(Domain{Host: "b.example.com", ServiceID: "shop1", StageName: "prod"})),
		stale("delete domain stale", func(ctx context.Context, tx *Tx, f *fixture) error {
			return tx.DeleteDomain(ctx, "api.example.com", 5)
		}),

		// whole-tree replacement
		invalid("tree bad path", "resources[0].path", replaceTree(Resource{Path: "x"})),
		invalid("tree duplicate path", "resources[1].path", replaceTree(Resource{Path: "/a"}, Resource{Path: "/a"})),
		invalid("tree bad backend", "resources[1].methods[0].backend.path", replaceTree(
			Resource{Path: "/a/{x}", Methods: []Method{{HTTPMethod: "GET", Backend: httpBackend("/${request.path.x}")}}},
			Resource{Path: "/b", Methods: []Method{{HTTPMethod: "GET", Backend: httpBackend("/${request.path.x}")}}})),
		invalid("tree duplicate method", "resources[0].methods[1].method", replaceTree(
			Resource{Path: "/a", Methods: []Method{{HTTPMethod: "GET", Backend: mock(200)}, {HTTPMethod: "get", Backend: mock(200)}}})),
		invalid("tree sibling variables", "resources[1].path", replaceTree(Resource{Path: "/a/{y}"}, Resource{Path: "/a/{x}/z"})),
		invalid("tree plugin", "resources[0].plugins[0].config", replaceTree(
			Resource{Path: "/a", Plugins: []PluginBinding{{Type: "failing"}}})),
		invalid("tree method plugin", "resources[0].methods[0].plugins[0].phase", replaceTree(
			Resource{Path: "/a", Methods: []Method{{HTTPMethod: "GET", Backend: mock(200),
				Plugins: []PluginBinding{{Type: "headers", Phase: "x"}}}}})),
		limit("tree method limit", replaceTree(Resource{Path: "/a", Methods: []Method{
			{HTTPMethod: "GET", Backend: mock(200)}, {HTTPMethod: "PUT", Backend: mock(200)},
			{HTTPMethod: "POST", Backend: mock(200)}, {HTTPMethod: "DELETE", Backend: mock(200)}}})),
	}
	before := digest(t, f.s)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opErr error
			// Commit even though the operation failed: the operation itself must leave nothing behind.
			noErr(t, f.s.Update(ctx, func(tx *Tx) error {
				opErr = tc.op(ctx, tx, f)
				return nil
			}))
			wantError(t, opErr, tc.kind, tc.code, tc.field)
			if after := digest(t, f.s); after != before {
				t.Fatalf("the refused operation changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestPluginsRefusedWithoutRegistry(t *testing.T) {
	s := openTest(t, Options{Now: fixedClock()})
	ctx := context.Background()
	noErr(t, s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.CreateService(ctx, Service{ID: "svc1", Name: "svc"}); err != nil {
			return err
		}
		r, err := tx.CreateResource(ctx, "svc1", "/")
		if err != nil {
			return err
		}
		_, err = tx.AddResourcePlugin(ctx, "svc1", r.ID, PluginBinding{Type: "headers"})
		wantError(t, err, KindInvalid, CodeInvalid, "type")
		return nil
	}))
}
