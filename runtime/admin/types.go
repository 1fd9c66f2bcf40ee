package admin

import (
	"encoding/json"

	"github.com/portico-gateway/portico/storage"
)

// Request and response bodies of the admin API that aren't storage model types. Create bodies are plain structs;
// patch bodies hold pointers, and a field left out (or null) keeps its current value.

// ServiceInput creates a service.
type ServiceInput struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// ServicePatch changes a service.
type ServicePatch struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// ResourceInput creates a resource path.
type ResourceInput struct {
	Path string `json:"path"`
}

// MethodInput creates a method on a resource.
type MethodInput struct {
	Method      string          `json:"method"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Backend     storage.Backend `json:"backend"`
}

// MethodPatch changes a method. The HTTP method itself cannot change (delete the method and create it again);
// Method is accepted only when it equals the current one.
type MethodPatch struct {
	Method      *string       `json:"method,omitempty"`
	Name        *string       `json:"name,omitempty"`
	Description *string       `json:"description,omitempty"`
	Backend     *BackendPatch `json:"backend,omitempty"`
}

// BackendPatch changes a method's backend field by field.
type BackendPatch struct {
	Type    *string            `json:"type,omitempty"`
	Path    *string            `json:"path,omitempty"`
	Status  *int               `json:"status,omitempty"`
	Headers *map[string]string `json:"headers,omitempty"`
	Body    *string            `json:"body,omitempty"`
}

// PluginInput attaches a plugin to a resource path or a method.
type PluginInput struct {
	Type             string          `json:"type"`
	Phase            string          `json:"phase"`
	OverrideChildren bool            `json:"overrideChildren,omitempty"`
	Config           json.RawMessage `json:"config,omitempty"`
}

// PluginPatch changes a plugin binding; Config, when given, replaces the whole configuration.
type PluginPatch struct {
	Type             *string          `json:"type,omitempty"`
	Phase            *string          `json:"phase,omitempty"`
	OverrideChildren *bool            `json:"overrideChildren,omitempty"`
	Config           *json.RawMessage `json:"config,omitempty"`
}

// StageInput creates a stage. Name "" is the default stage.
type StageInput struct {
	Name        string                `json:"name"`
	Description string                `json:"description,omitempty"`
	BackendURL  string                `json:"backendUrl"`
	Settings    storage.StageSettings `json:"settings,omitempty"`
}

// StagePatch changes a stage's description, backend URL or settings. Settings merge per path: each key given
// replaces that path's settings, a key set to null removes them, keys left out stay. The name cannot change; Name is
// accepted only when it equals the current one.
type StagePatch struct {
	Name        *string                          `json:"name,omitempty"`
	Description *string                          `json:"description,omitempty"`
	BackendURL  *string                          `json:"backendUrl,omitempty"`
	Settings    map[string]*storage.PathSettings `json:"settings,omitempty"`
}

// ApplyResult answers apply-resources: the stage, and whether its resources changed (false when the stage already had
// the service's current tree).
type ApplyResult struct {
	Stage   storage.Stage `json:"stage"`
	Changed bool          `json:"changed"`
}

// DeployRequest deploys a stage. ApplyResources first copies the service's current tree into the stage, in the same
// transaction.
type DeployRequest struct {
	Description    string `json:"description,omitempty"`
	ApplyResources bool   `json:"applyResources,omitempty"`
}

// DomainInput maps a custom host to a stage. ServiceID may also be the service's name; StageName "" is the default
// stage.
type DomainInput struct {
	Host      string `json:"host"`
	ServiceID string `json:"serviceId"`
	StageName string `json:"stageName"`
	BasePath  string `json:"basePath,omitempty"`
}

// Lists are wrapped in an object so they can grow fields (paging, totals) without breaking clients.

// ServiceList is the body of GET /v1/services.
type ServiceList struct {
	Services []storage.Service `json:"services"`
}

// StageList is the body of GET /v1/services/{svc}/stages.
type StageList struct {
	Stages []storage.Stage `json:"stages"`
}

// DeploymentList is the body of GET …/deployments: the stage's history, newest first as storage returns it, without
// snapshots.
type DeploymentList struct {
	Deployments []storage.Deployment `json:"deployments"`
}

// DomainList is the body of GET /v1/domains.
type DomainList struct {
	Domains []storage.Domain `json:"domains"`
}

// HealthStatus is the body of GET /v1/healthz.
type HealthStatus struct {
	Status string `json:"status"`
}
