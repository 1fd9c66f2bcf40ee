// Package storage persists Portico's control-plane model in SQLite (modernc.org/sqlite, pure Go): services, their
// resource trees, methods and plugin bindings, stages with their settings trees, deployments, API keys, usage plans,
// WASM modules, custom domains, quota usage and stats buckets. The data plane never imports this package.
package storage

import (
	"encoding/json"
	"time"
)

// HTTP methods a resource may carry (the seed's list, plus ANY as an extension).
var HTTPMethods = []string{"HEAD", "OPTIONS", "GET", "POST", "PUT", "DELETE", "PATCH", "ANY"}

// Service owns one resource tree and its stages.
type Service struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Resource is one path node of a service's tree. Plugins and Methods are filled by tree reads.
type Resource struct {
	ID        int64           `json:"id"`
	ServiceID string          `json:"serviceId"`
	Path      string          `json:"path"`
	Version   int64           `json:"version"`
	Plugins   []PluginBinding `json:"plugins,omitempty"`
	Methods   []Method        `json:"methods,omitempty"`
}

// Method is an HTTP method on a resource path with its backend.
type Method struct {
	ID          int64           `json:"id"`
	ResourceID  int64           `json:"resourceId"`
	HTTPMethod  string          `json:"method"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Backend     Backend         `json:"backend"`
	Version     int64           `json:"version"`
	Plugins     []PluginBinding `json:"plugins,omitempty"`
	// ManagedBy names the plugin that created this method (the CORS plugin's OPTIONS methods); such methods cannot be
	// edited or deleted by hand.
	ManagedBy string `json:"managedBy,omitempty"`
}

// Backend types.
const (
	BackendHTTP = "http"
	BackendMock = "mock"
)

// Backend says where a method's requests go: an HTTP path appended to the stage's backend URL, or a custom response.
// Path, header values and Body may contain context variables.
type Backend struct {
	Type    string            `json:"type"`
	Path    string            `json:"path,omitempty"`
	Status  int               `json:"status,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// Plugin phases.
const (
	PhaseRequest  = "request"
	PhaseResponse = "response"
)

// PluginBinding attaches a plugin to a resource path (inherited by every method below) or to one method. Config stays
// raw JSON: only the plugin's own factory decodes it.
type PluginBinding struct {
	ID               int64           `json:"id"`
	Type             string          `json:"type"`
	Phase            string          `json:"phase"`
	OverrideChildren bool            `json:"overrideChildren,omitempty"`
	Config           json.RawMessage `json:"config,omitempty"`
	Version          int64           `json:"version"`
}

// ResourceTree is a service's whole tree, resources sorted by path, each with its methods and plugins. It is what
// "apply resources to stage" copies into a stage and what a deployment snapshots.
type ResourceTree struct {
	Resources []Resource `json:"resources"`
}

// Stage is a deployment target of a service: name ("" is the default stage), backend URL, settings tree, the
// resources last applied to it and the deployments it is based on and serves.
type Stage struct {
	ID          int64         `json:"id"`
	ServiceID   string        `json:"serviceId"`
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	BackendURL  string        `json:"backendUrl"`
	Settings    StageSettings `json:"settings,omitempty"`
	// Resources is the tree applied to the stage (nil until resources are first applied).
	Resources            *ResourceTree `json:"resources,omitempty"`
	ResourcesAppliedAt   *time.Time    `json:"resourcesAppliedAt,omitempty"`
	BaseDeploymentID     *int64        `json:"baseDeploymentId,omitempty"`
	DeployedDeploymentID *int64        `json:"deployedDeploymentId,omitempty"`
	Version              int64         `json:"version"`
	CreatedAt            time.Time     `json:"createdAt"`
	UpdatedAt            time.Time     `json:"updatedAt"`
}

// StageSettings is the settings tree: "/" for the stage root, or a resource path.
type StageSettings map[string]PathSettings

// PathSettings holds the settings of a path and of its methods (method settings override path settings override
// the root's).
type PathSettings struct {
	Settings
	Methods map[string]Settings `json:"methods,omitempty"`
}

// Settings are the stage checks of one node. Each is raw JSON decoded by the built-in that implements it.
type Settings struct {
	IPACL      json.RawMessage `json:"ipAcl,omitempty"`
	Auth       json.RawMessage `json:"auth,omitempty"`
	RateLimit  json.RawMessage `json:"rateLimit,omitempty"`
	APIKey     json.RawMessage `json:"apiKey,omitempty"`
	PreCall    json.RawMessage `json:"preCall,omitempty"`
	BackendURL string          `json:"backendUrl,omitempty"`
}

// IsZero reports whether no setting is set.
func (s Settings) IsZero() bool {
	return len(s.IPACL) == 0 && len(s.Auth) == 0 && len(s.RateLimit) == 0 && len(s.APIKey) == 0 &&
		len(s.PreCall) == 0 && s.BackendURL == ""
}

// Deployment statuses.
const (
	DeploymentSucceeded = "SUCCESS"
	DeploymentFailed    = "FAILED"
)

// Deployment is an immutable snapshot of a stage, made by deploy.
type Deployment struct {
	ID          int64     `json:"id"`
	StageID     int64     `json:"stageId"`
	ServiceID   string    `json:"serviceId"`
	StageName   string    `json:"stageName"`
	Description string    `json:"description,omitempty"`
	Author      string    `json:"author,omitempty"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"createdAt"`
	// Deployed and Base are filled by history reads: whether the stage serves this deployment and whether its editable
	// state is based on it.
	Deployed bool      `json:"deployed"`
	Base     bool      `json:"base"`
	Snapshot *Snapshot `json:"snapshot,omitempty"`
}

// Snapshot is everything the data plane needs to serve one stage.
type Snapshot struct {
	ServiceID  string        `json:"serviceId"`
	StageName  string        `json:"stageName"`
	BackendURL string        `json:"backendUrl"`
	Resources  ResourceTree  `json:"resources"`
	Settings   StageSettings `json:"settings,omitempty"`
	Modules    []ModuleRef   `json:"modules,omitempty"`
}

// ModuleRef names a WASM module version used by a deployment.
type ModuleRef struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// Module is an uploaded WASM plugin module, stored by SHA-256 digest.
type Module struct {
	Name      string    `json:"name"`
	Digest    string    `json:"digest"`
	Size      int64     `json:"size"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
}

// Domain maps a custom host name (and an optional base path) to a service's stage.
type Domain struct {
	Host      string    `json:"host"`
	ServiceID string    `json:"serviceId"`
	StageName string    `json:"stageName"`
	BasePath  string    `json:"basePath,omitempty"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
}

// API key statuses.
const (
	KeyActive   = "ACTIVE"
	KeyInactive = "INACTIVE"
)

// APIKey identifies a client. Key values are stored as SHA-256 hashes only: no read returns a value.
type APIKey struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Status      string    `json:"status"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	// Connections are the stages the key may call, each with the plan that limits it there and its quota usage
	// (filled by reads; the seed's "API Key와 연결된 스테이지").
	Connections []KeyConnection `json:"connections"`
}

// KeyConnection is one stage an API key is connected to through a usage plan.
type KeyConnection struct {
	PlanID    int64     `json:"planId"`
	PlanName  string    `json:"planName"`
	ServiceID string    `json:"serviceId"`
	StageName string    `json:"stageName"`
	StageID   int64     `json:"stageId"`
	RPS       int       `json:"rps,omitempty"`
	Quota     QuotaUse  `json:"quota"`
	CreatedAt time.Time `json:"createdAt"`
}

// QuotaUse is how much of its plan's quota a key has used on one stage in the current period. Reads from the store
// see the last flushed count; the admin API shows the gateway's live count when it has one.
type QuotaUse struct {
	Period      string     `json:"period"` // DAY | MONTH | NONE
	Limit       int64      `json:"limit,omitempty"`
	Used        int64      `json:"used"`
	PeriodStart *time.Time `json:"periodStart,omitempty"` // nil for NONE
}

// Quota periods.
const (
	QuotaDay   = "DAY"
	QuotaMonth = "MONTH"
	QuotaNone  = "NONE"
)

// UsagePlan limits the API keys connected to it per stage: RPS (0: no limit) and a quota per period (DAY or MONTH,
// reset at 00:00 UTC daily or on the 1st; NONE: no quota, QuotaLimit 0).
type UsagePlan struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	RPS         int       `json:"rps,omitempty"`
	QuotaPeriod string    `json:"quotaPeriod"`
	QuotaLimit  int64     `json:"quotaLimit,omitempty"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	// Stages are the stages connected to the plan with the keys connected there (filled by reads).
	Stages []PlanStage `json:"stages"`
}

// PlanStage is a stage connected to a usage plan, with the API keys connected to the plan on that stage.
type PlanStage struct {
	ServiceID string         `json:"serviceId"`
	StageName string         `json:"stageName"`
	StageID   int64          `json:"stageId"`
	CreatedAt time.Time      `json:"createdAt"`
	APIKeys   []PlanStageKey `json:"apiKeys"`
}

// PlanStageKey is an API key connected to a (plan, stage), with its quota usage there.
type PlanStageKey struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	Quota     QuotaUse  `json:"quota"`
	CreatedAt time.Time `json:"createdAt"`
}
