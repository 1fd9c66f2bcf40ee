package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/portico-gateway/portico/storage"
)

// Typed calls, one per endpoint. svc is a service ID or name; stage "" is the default stage. ifVersion 0 skips the
// If-Match check.

func servicePath(svc string) string { return "/v1/services/" + url.PathEscape(svc) }

func stagePath(svc, stage string) string {
	return servicePath(svc) + "/stages/" + url.PathEscape(stageURLName(stage))
}

func idPath(prefix string, id int64) string { return prefix + "/" + strconv.FormatInt(id, 10) }

// Health reports whether the API answers (no token needed).
func (c *Client) Health(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, "/v1/healthz", nil, nil)
}

// OpenAPI returns the OpenAPI document.
func (c *Client) OpenAPI(ctx context.Context) (json.RawMessage, error) {
	var doc json.RawMessage
	err := c.Do(ctx, http.MethodGet, "/v1/openapi.json", nil, &doc)
	return doc, err
}

// Status reports what the gateway serves.
func (c *Client) Status(ctx context.Context) (RuntimeStatus, error) {
	var st RuntimeStatus
	err := c.Do(ctx, http.MethodGet, "/v1/status", nil, &st)
	return st, err
}

// Profile fetches a runtime profile of the server's process (GET /v1/debug/pprof/{profile}) as the bytes pprof
// wrote: a gzipped protobuf for `go tool pprof`, or, for "trace", an execution trace for `go tool trace`. seconds is
// the sampling window; 0 takes the server's default. An error answer is an *APIError with the server's message.
func (c *Client) Profile(ctx context.Context, name string, seconds int) ([]byte, error) {
	path := "/v1/debug/pprof/" + url.PathEscape(name)
	if seconds != 0 {
		path += "?seconds=" + strconv.Itoa(seconds)
	}
	_, data, err := c.exchange(ctx, http.MethodGet, path, "", nil, "application/octet-stream", maxRawResponse)
	return data, err
}

// Services.

func (c *Client) ListServices(ctx context.Context) ([]storage.Service, error) {
	var l ServiceList
	err := c.Do(ctx, http.MethodGet, "/v1/services", nil, &l)
	return l.Services, err
}

func (c *Client) CreateService(ctx context.Context, in ServiceInput) (storage.Service, error) {
	var s storage.Service
	err := c.Do(ctx, http.MethodPost, "/v1/services", in, &s)
	return s, err
}

func (c *Client) GetService(ctx context.Context, svc string) (storage.Service, error) {
	var s storage.Service
	err := c.Do(ctx, http.MethodGet, servicePath(svc), nil, &s)
	return s, err
}

func (c *Client) UpdateService(ctx context.Context, svc string, p ServicePatch, ifVersion int64) (storage.Service,
	error) {
	var s storage.Service
	_, err := c.do(ctx, http.MethodPatch, servicePath(svc), matchVersion(ifVersion), p, &s)
	return s, err
}

func (c *Client) DeleteService(ctx context.Context, svc string, ifVersion int64) error {
	_, err := c.do(ctx, http.MethodDelete, servicePath(svc), matchVersion(ifVersion), nil, nil)
	return err
}

// Resources.

// ResourceTree returns the service's tree and its content ETag (for ReplaceTree's ifMatch).
func (c *Client) ResourceTree(ctx context.Context, svc string) (storage.ResourceTree, string, error) {
	var t storage.ResourceTree
	h, err := c.do(ctx, http.MethodGet, servicePath(svc)+"/resources", "", nil, &t)
	return t, h.Get("ETag"), err
}

// ReplaceTree replaces the service's whole tree. ifMatch is the ETag ResourceTree returned, or "" for no check.
func (c *Client) ReplaceTree(ctx context.Context, svc string, tree storage.ResourceTree, ifMatch string) (
	storage.ResourceTree, error) {
	var t storage.ResourceTree
	_, err := c.do(ctx, http.MethodPut, servicePath(svc)+"/resources", ifMatch, tree, &t)
	return t, err
}

func (c *Client) CreateResource(ctx context.Context, svc, path string) (storage.Resource, error) {
	var r storage.Resource
	err := c.Do(ctx, http.MethodPost, servicePath(svc)+"/resources", ResourceInput{Path: path}, &r)
	return r, err
}

func (c *Client) GetResource(ctx context.Context, svc string, id int64) (storage.Resource, error) {
	var r storage.Resource
	err := c.Do(ctx, http.MethodGet, idPath(servicePath(svc)+"/resources", id), nil, &r)
	return r, err
}

func (c *Client) DeleteResource(ctx context.Context, svc string, id, ifVersion int64) error {
	_, err := c.do(ctx, http.MethodDelete, idPath(servicePath(svc)+"/resources", id), matchVersion(ifVersion), nil, nil)
	return err
}

// Methods.

func (c *Client) CreateMethod(ctx context.Context, svc string, resourceID int64, in MethodInput) (storage.Method,
	error) {
	var m storage.Method
	err := c.Do(ctx, http.MethodPost, idPath(servicePath(svc)+"/resources", resourceID)+"/methods", in, &m)
	return m, err
}

func (c *Client) GetMethod(ctx context.Context, svc string, id int64) (storage.Method, error) {
	var m storage.Method
	err := c.Do(ctx, http.MethodGet, idPath(servicePath(svc)+"/methods", id), nil, &m)
	return m, err
}

func (c *Client) UpdateMethod(ctx context.Context, svc string, id int64, p MethodPatch, ifVersion int64) (
	storage.Method, error) {
	var m storage.Method
	_, err := c.do(ctx, http.MethodPatch, idPath(servicePath(svc)+"/methods", id), matchVersion(ifVersion), p, &m)
	return m, err
}

func (c *Client) DeleteMethod(ctx context.Context, svc string, id, ifVersion int64) error {
	_, err := c.do(ctx, http.MethodDelete, idPath(servicePath(svc)+"/methods", id), matchVersion(ifVersion), nil, nil)
	return err
}

// Plugins.

func (c *Client) AddResourcePlugin(ctx context.Context, svc string, resourceID int64, in PluginInput) (
	storage.PluginBinding, error) {
	var p storage.PluginBinding
	err := c.Do(ctx, http.MethodPost, idPath(servicePath(svc)+"/resources", resourceID)+"/plugins", in, &p)
	return p, err
}

func (c *Client) AddMethodPlugin(ctx context.Context, svc string, methodID int64, in PluginInput) (
	storage.PluginBinding, error) {
	var p storage.PluginBinding
	err := c.Do(ctx, http.MethodPost, idPath(servicePath(svc)+"/methods", methodID)+"/plugins", in, &p)
	return p, err
}

func (c *Client) GetPlugin(ctx context.Context, svc string, id int64) (storage.PluginBinding, error) {
	var p storage.PluginBinding
	err := c.Do(ctx, http.MethodGet, idPath(servicePath(svc)+"/plugins", id), nil, &p)
	return p, err
}

func (c *Client) UpdatePlugin(ctx context.Context, svc string, id int64, in PluginPatch, ifVersion int64) (
	storage.PluginBinding, error) {
	var p storage.PluginBinding
	_, err := c.do(ctx, http.MethodPatch, idPath(servicePath(svc)+"/plugins", id), matchVersion(ifVersion), in, &p)
	return p, err
}

func (c *Client) DeletePlugin(ctx context.Context, svc string, id, ifVersion int64) error {
	_, err := c.do(ctx, http.MethodDelete, idPath(servicePath(svc)+"/plugins", id), matchVersion(ifVersion), nil, nil)
	return err
}

// Stages.

func (c *Client) ListStages(ctx context.Context, svc string) ([]storage.Stage, error) {
	var l StageList
	err := c.Do(ctx, http.MethodGet, servicePath(svc)+"/stages", nil, &l)
	return l.Stages, err
}

func (c *Client) CreateStage(ctx context.Context, svc string, in StageInput) (storage.Stage, error) {
	var s storage.Stage
	err := c.Do(ctx, http.MethodPost, servicePath(svc)+"/stages", in, &s)
	return s, err
}

func (c *Client) GetStage(ctx context.Context, svc, stage string) (storage.Stage, error) {
	var s storage.Stage
	err := c.Do(ctx, http.MethodGet, stagePath(svc, stage), nil, &s)
	return s, err
}

func (c *Client) UpdateStage(ctx context.Context, svc, stage string, p StagePatch, ifVersion int64) (storage.Stage,
	error) {
	var s storage.Stage
	_, err := c.do(ctx, http.MethodPatch, stagePath(svc, stage), matchVersion(ifVersion), p, &s)
	return s, err
}

func (c *Client) DeleteStage(ctx context.Context, svc, stage string, ifVersion int64) error {
	_, err := c.do(ctx, http.MethodDelete, stagePath(svc, stage), matchVersion(ifVersion), nil, nil)
	return err
}

// ApplyResources copies the service's current tree into the stage.
func (c *Client) ApplyResources(ctx context.Context, svc, stage string) (ApplyResult, error) {
	var r ApplyResult
	err := c.Do(ctx, http.MethodPost, stagePath(svc, stage)+"/apply-resources", nil, &r)
	return r, err
}

// Deploy snapshots the stage and makes it live; apply first applies the current resource tree.
func (c *Client) Deploy(ctx context.Context, svc, stage, description string, apply bool) (storage.Deployment,
	error) {
	var d storage.Deployment
	err := c.Do(ctx, http.MethodPost, stagePath(svc, stage)+"/deploy",
		DeployRequest{Description: description, ApplyResources: apply}, &d)
	return d, err
}

// Deployments.

func (c *Client) ListDeployments(ctx context.Context, svc, stage string) ([]storage.Deployment, error) {
	var l DeploymentList
	err := c.Do(ctx, http.MethodGet, stagePath(svc, stage)+"/deployments", nil, &l)
	return l.Deployments, err
}

func (c *Client) GetDeployment(ctx context.Context, svc, stage string, id int64) (storage.Deployment, error) {
	var d storage.Deployment
	err := c.Do(ctx, http.MethodGet, idPath(stagePath(svc, stage)+"/deployments", id), nil, &d)
	return d, err
}

func (c *Client) DeleteDeployment(ctx context.Context, svc, stage string, id int64) error {
	return c.Do(ctx, http.MethodDelete, idPath(stagePath(svc, stage)+"/deployments", id), nil, nil)
}

// Rollback copies the deployment back into the stage's editable state (deploy to serve it).
func (c *Client) Rollback(ctx context.Context, svc, stage string, deploymentID int64) (storage.Stage, error) {
	var s storage.Stage
	err := c.Do(ctx, http.MethodPost, idPath(stagePath(svc, stage)+"/deployments", deploymentID)+"/rollback", nil,
		&s)
	return s, err
}

// Domains.

func (c *Client) ListDomains(ctx context.Context) ([]storage.Domain, error) {
	var l DomainList
	err := c.Do(ctx, http.MethodGet, "/v1/domains", nil, &l)
	return l.Domains, err
}

func (c *Client) CreateDomain(ctx context.Context, in DomainInput) (storage.Domain, error) {
	var d storage.Domain
	err := c.Do(ctx, http.MethodPost, "/v1/domains", in, &d)
	return d, err
}

func (c *Client) DeleteDomain(ctx context.Context, host string, ifVersion int64) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/domains/"+url.PathEscape(host), matchVersion(ifVersion), nil, nil)
	return err
}

// Modules.

// PutModule uploads a WASM module under name.
func (c *Client) PutModule(ctx context.Context, name string, wasm []byte) (ModuleUpload, error) {
	var out ModuleUpload
	err := c.Do(ctx, http.MethodPut, "/v1/modules/"+url.PathEscape(name), RawBody{ContentType: "application/wasm", Data: wasm}, &out)
	return out, err
}

func (c *Client) ListModules(ctx context.Context) ([]storage.Module, error) {
	var l ModuleList
	err := c.Do(ctx, http.MethodGet, "/v1/modules", nil, &l)
	return l.Modules, err
}

func (c *Client) DeleteModule(ctx context.Context, name string) error {
	return c.Do(ctx, http.MethodDelete, "/v1/modules/"+url.PathEscape(name), nil, nil)
}
