package admin

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/usage"
	"github.com/portico-gateway/portico/runtime/usage/usagestore"
	"github.com/portico-gateway/portico/storage"
)

// keyRuntime is a data plane with a real usage guard over the store, as the node wires it.
type keyRuntime struct {
	*fakeRuntime
	guard *usage.Guard

	mu        sync.Mutex
	reloadErr error
	reloads   int
}

func (k *keyRuntime) ReloadKeys(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reloads++
	if k.reloadErr != nil {
		return k.reloadErr
	}
	return k.guard.Reload(ctx)
}

func (k *keyRuntime) KeyUsage(keyID, stageID int64) (int64, time.Time, bool) {
	return k.guard.Usage(keyID, stageID)
}

func (k *keyRuntime) keyReloads() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.reloads
}

// newKeyEnv is an env whose runtime enforces API keys with a usage guard.
func newKeyEnv(t *testing.T) (*env, *keyRuntime) {
	t.Helper()
	var kr *keyRuntime
	e := newEnv(t, func(cfg *Config) {
		g := usage.New(usage.Config{Source: usagestore.New(cfg.Store), FlushInterval: -1})
		if err := g.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = g.Close(context.Background()) })
		kr = &keyRuntime{fakeRuntime: &fakeRuntime{}, guard: g}
		cfg.Runtime = kr
	})
	return e, kr
}

// decide asks the guard about a key value on a stage, as the api-key plugin does.
func (k *keyRuntime) decide(svc, stage, value string) usage.Decision {
	h := sha256.Sum256([]byte(value))
	return k.guard.Check(k.guard.Stage(svc, stage), &h).Decision
}

func TestAPIKeysHTTP(t *testing.T) {
	e, kr := newKeyEnv(t)
	r := e.call("POST", "/v1/apikeys", `{"name":"partner","description":"Partner A"}`)
	if r.status != http.StatusCreated || r.header.Get("Location") != "/v1/apikeys/partner" ||
		r.header.Get("ETag") != `"1"` || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %v %s", r.status, r.header, r.body)
	}
	var created APIKeyWithValues
	if err := json.Unmarshal(r.body, &created); err != nil {
		t.Fatal(err)
	}
	if len(created.PrimaryKey) != 32 || len(created.SecondaryKey) != 32 || created.Status != storage.KeyActive ||
		created.Connections == nil {
		t.Fatalf("created %+v", created)
	}
	// No read returns a value, and nothing is logged with one.
	for _, path := range []string{"/v1/apikeys", "/v1/apikeys/partner", "/v1/apikeys/" + itoa(created.ID)} {
		r := e.call("GET", path, "")
		if r.status != 200 || strings.Contains(string(r.body), created.PrimaryKey) ||
			strings.Contains(string(r.body), created.SecondaryKey) || strings.Contains(string(r.body), "primaryKey") {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
	}
	if strings.Contains(e.logs.String(), created.PrimaryKey) {
		t.Fatal("a key value reached the log")
	}
	// The gateway knows the key at once: not connected anywhere yet.
	if d := kr.decide("svc", "", created.PrimaryKey); d != usage.NotAllowed {
		t.Fatalf("decision %v", d)
	}

	// Given values are accepted and not echoed.
	given := must(e.client.CreateAPIKey(ctxBG, APIKeyInput{Name: "given", Status: storage.KeyInactive,
		PrimaryKey: "a-given-value-000000001"}))(t)
	if given.PrimaryKey != "" || given.SecondaryKey == "" || given.Status != storage.KeyInactive {
		t.Fatalf("given %+v", given)
	}
	if d := kr.decide("svc", "", "a-given-value-000000001"); d != usage.KeyInactive {
		t.Fatalf("inactive key: %v", d)
	}

	// PATCH honours If-Match; status changes reach the gateway.
	_, err := e.client.UpdateAPIKey(ctxBG, "partner", APIKeyPatch{Status: ptr(storage.KeyInactive)}, 7)
	wantAPIError(t, err, http.StatusPreconditionFailed, storage.CodeVersionMismatch)
	k := must(e.client.UpdateAPIKey(ctxBG, "partner", APIKeyPatch{Status: ptr(storage.KeyInactive)}, 1))(t)
	if k.Status != storage.KeyInactive || k.Version != 2 {
		t.Fatalf("patched %+v", k)
	}
	if d := kr.decide("svc", "", created.PrimaryKey); d != usage.KeyInactive {
		t.Fatalf("after deactivation: %v", d)
	}
	_, err = e.client.UpdateAPIKey(ctxBG, "partner", APIKeyPatch{Status: ptr("ON")}, 0)
	wantAPIError(t, err, http.StatusBadRequest, storage.CodeInvalid)
	_, err = e.client.UpdateAPIKey(ctxBG, "partner", APIKeyPatch{Name: ptr("given")}, 0)
	wantAPIError(t, err, http.StatusConflict, storage.CodeAlreadyExists)

	// Regenerate: the old value stops working at once.
	reg := must(e.client.RegenerateAPIKey(ctxBG, "partner", storage.KeySecondary, 2))(t)
	if reg.PrimaryKey != "" || len(reg.SecondaryKey) != 32 || reg.SecondaryKey == created.SecondaryKey {
		t.Fatalf("regenerated %+v", reg)
	}
	if kr.decide("svc", "", created.SecondaryKey) != usage.KeyUnknown || kr.decide("svc", "", reg.SecondaryKey) != usage.KeyInactive {
		t.Fatal("the gateway still takes the old secondary value")
	}
	_, err = e.client.RegenerateAPIKey(ctxBG, "partner", "both", 0)
	wantAPIError(t, err, http.StatusBadRequest, storage.CodeInvalid)
	if r := e.call("POST", "/v1/apikeys/partner/regenerate", `{"which":"primary","extra":1}`); r.status != 400 {
		t.Fatalf("unknown field: %d", r.status)
	}

	// Delete.
	wantAPIError(t, e.client.DeleteAPIKey(ctxBG, "given", 9), http.StatusPreconditionFailed, storage.CodeVersionMismatch)
	if err := e.client.DeleteAPIKey(ctxBG, "given", 0); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetAPIKey(ctxBG, "given")
	wantAPIError(t, err, http.StatusNotFound, storage.CodeNotFound)
	if d := kr.decide("svc", "", "a-given-value-000000001"); d != usage.KeyUnknown {
		t.Fatalf("deleted key: %v", d)
	}
	list := must(e.client.ListAPIKeys(ctxBG))(t)
	if len(list) != 1 || list[0].Name != "partner" {
		t.Fatalf("list %+v", list)
	}
	if kr.keyReloads() != 5 { // the successful writes: 2 creates, patch, regenerate, delete
		t.Fatalf("the key table was pushed %d times", kr.keyReloads())
	}
}

func TestKeyReloadFailureSaysTheChangeWasCommitted(t *testing.T) {
	e, kr := newKeyEnv(t)
	kr.reloadErr = errors.New("boom")
	_, err := e.client.CreateAPIKey(ctxBG, APIKeyInput{Name: "k"})
	ae := wantAPIError(t, err, http.StatusInternalServerError, codeReloadFailed)
	if !strings.Contains(ae.Message, "committed") {
		t.Fatalf("message %q", ae.Message)
	}
	kr.reloadErr = nil
	must(e.client.GetAPIKey(ctxBG, "k"))(t)
}

func TestAPIKeysWithoutUsageRuntime(t *testing.T) {
	e := newEnv(t) // the fake runtime enforces no keys: writes still work, counts come from the store
	k := must(e.client.CreateAPIKey(ctxBG, APIKeyInput{Name: "k"}))(t)
	if k.PrimaryKey == "" {
		t.Fatal("no value")
	}
	must(e.client.GetAPIKey(ctxBG, "k"))(t)
}
