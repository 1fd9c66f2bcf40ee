package admin

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// The OpenAPI 3.0 document served at /v1/openapi.json, written by hand as data: one entry per operation below, the
// component schemas in openapi_schemas.go. A test checks that the operations are exactly the routes the server
// registers, and that every schema lists exactly the JSON fields of the Go type it describes.

// OpenAPIVersion is the OpenAPI version the document follows.
const OpenAPIVersion = "3.0.3"

// operation documents one route.
type operation struct {
	method, path string
	id           string // operationId
	tag          string
	summary      string
	body         string // request body schema ("" when none)
	bodyOptional bool
	status       int      // success status
	result       string   // success body schema ("" for no body)
	binary       bool     // the success body is bytes (a pprof profile or trace), not JSON
	etag         bool     // the success response carries the entity's version as ETag
	ifMatch      bool     // If-Match is honoured
	public       bool     // no token needed
	conflict     bool     // may answer 409
	params       []string // further parameters (components/parameters) beyond path values and If-Match
}

var operations = []operation{
	{method: "GET", path: "/v1/healthz", id: "healthz", tag: "system", summary: "Liveness of the admin API.",
		status: 200, result: "HealthStatus", public: true},
	{method: "GET", path: "/v1/openapi.json", id: "openapi", tag: "system", summary: "This document.",
		status: 200, result: "", public: true},
	{method: "GET", path: "/v1/status", id: "getStatus", tag: "system",
		summary: "What the gateway serves now: listeners, domain, live stages.", status: 200, result: "RuntimeStatus"},

	{method: "GET", path: "/v1/services", id: "listServices", tag: "services", summary: "List services.",
		status: 200, result: "ServiceList"},
	{method: "POST", path: "/v1/services", id: "createService", tag: "services", summary: "Create a service.",
		body: "ServiceInput", status: 201, result: "Service", etag: true, conflict: true},
	{method: "GET", path: "/v1/services/{svc}", id: "getService", tag: "services", summary: "Get a service.",
		status: 200, result: "Service", etag: true},
	{method: "PATCH", path: "/v1/services/{svc}", id: "updateService", tag: "services",
		summary: "Change a service's name or description.", body: "ServicePatch", status: 200, result: "Service",
		etag: true, ifMatch: true, conflict: true},
	{method: "DELETE", path: "/v1/services/{svc}", id: "deleteService", tag: "services",
		summary: "Delete a service with its resources, stages and history; the gateway stops serving it.",
		status:  204, ifMatch: true, conflict: true},

	{method: "GET", path: "/v1/services/{svc}/resources", id: "getResourceTree", tag: "resources",
		summary: "The service's resource tree: paths with their methods and plugins. The ETag is a content digest.",
		status:  200, result: "ResourceTree"},
	{method: "PUT", path: "/v1/services/{svc}/resources", id: "replaceResourceTree", tag: "resources",
		summary: "Replace the whole resource tree. If-Match takes the tree's content ETag.",
		body:    "ResourceTree", status: 200, result: "ResourceTree", ifMatch: true, conflict: true},
	{method: "POST", path: "/v1/services/{svc}/resources", id: "createResource", tag: "resources",
		summary: "Create a resource path (missing parents are part of the path).", body: "ResourceInput",
		status: 201, result: "Resource", etag: true, conflict: true},
	{method: "GET", path: "/v1/services/{svc}/resources/{id}", id: "getResource", tag: "resources",
		summary: "Get a resource path.", status: 200, result: "Resource", etag: true},
	{method: "DELETE", path: "/v1/services/{svc}/resources/{id}", id: "deleteResource", tag: "resources",
		summary: "Delete a resource path with everything below it.", status: 204, ifMatch: true, conflict: true},

	{method: "POST", path: "/v1/services/{svc}/resources/{id}/methods", id: "createMethod", tag: "resources",
		summary: "Create a method on a resource path.", body: "MethodInput", status: 201, result: "Method",
		etag: true, conflict: true},
	{method: "GET", path: "/v1/services/{svc}/methods/{id}", id: "getMethod", tag: "resources",
		summary: "Get a method.", status: 200, result: "Method", etag: true},
	{method: "PATCH", path: "/v1/services/{svc}/methods/{id}", id: "updateMethod", tag: "resources",
		summary: "Change a method's name, description or backend.", body: "MethodPatch", status: 200,
		result: "Method", etag: true, ifMatch: true, conflict: true},
	{method: "DELETE", path: "/v1/services/{svc}/methods/{id}", id: "deleteMethod", tag: "resources",
		summary: "Delete a method.", status: 204, ifMatch: true, conflict: true},

	{method: "POST", path: "/v1/services/{svc}/resources/{id}/plugins", id: "addResourcePlugin", tag: "plugins",
		summary: "Attach a plugin to a resource path (inherited by every method below).", body: "PluginInput",
		status: 201, result: "PluginBinding", etag: true, conflict: true},
	{method: "POST", path: "/v1/services/{svc}/methods/{id}/plugins", id: "addMethodPlugin", tag: "plugins",
		summary: "Attach a plugin to one method.", body: "PluginInput", status: 201, result: "PluginBinding",
		etag: true, conflict: true},
	{method: "GET", path: "/v1/services/{svc}/plugins/{id}", id: "getPlugin", tag: "plugins",
		summary: "Get a plugin binding.", status: 200, result: "PluginBinding", etag: true},
	{method: "PATCH", path: "/v1/services/{svc}/plugins/{id}", id: "updatePlugin", tag: "plugins",
		summary: "Change a plugin binding.", body: "PluginPatch", status: 200, result: "PluginBinding", etag: true,
		ifMatch: true, conflict: true},
	{method: "DELETE", path: "/v1/services/{svc}/plugins/{id}", id: "deletePlugin", tag: "plugins",
		summary: "Detach a plugin.", status: 204, ifMatch: true, conflict: true},

	{method: "GET", path: "/v1/services/{svc}/stages", id: "listStages", tag: "stages",
		summary: "List the service's stages.", status: 200, result: "StageList"},
	{method: "POST", path: "/v1/services/{svc}/stages", id: "createStage", tag: "stages",
		summary: "Create a stage (an empty name creates the default stage).", body: "StageInput", status: 201,
		result: "Stage", etag: true, conflict: true},
	{method: "GET", path: "/v1/services/{svc}/stages/{stage}", id: "getStage", tag: "stages",
		summary: "Get a stage.", status: 200, result: "Stage", etag: true},
	{method: "PATCH", path: "/v1/services/{svc}/stages/{stage}", id: "updateStage", tag: "stages",
		summary: "Change a stage's description, backend URL or settings (settings merge per path; null removes).",
		body:    "StagePatch", status: 200, result: "Stage", etag: true, ifMatch: true, conflict: true},
	{method: "DELETE", path: "/v1/services/{svc}/stages/{stage}", id: "deleteStage", tag: "stages",
		summary: "Delete a stage and its history; the gateway stops serving it.", status: 204, ifMatch: true,
		conflict: true},
	{method: "POST", path: "/v1/services/{svc}/stages/{stage}/apply-resources", id: "applyResources",
		tag: "stages", summary: "Copy the service's current resource tree into the stage. If-Match names the " +
			"stage's version.", status: 200, result: "ApplyResult", etag: true, ifMatch: true, conflict: true},
	{method: "POST", path: "/v1/services/{svc}/stages/{stage}/deploy", id: "deployStage", tag: "deployments",
		summary: "Snapshot the stage and make it live. A snapshot the gateway cannot compile fails with 400 and " +
			"records nothing; a failed reload answers 500 reload_failed with the deployment recorded.",
		body: "DeployRequest", bodyOptional: true, status: 201, result: "Deployment", ifMatch: true,
		conflict: true, params: []string{"Author"}},

	{method: "GET", path: "/v1/services/{svc}/stages/{stage}/deployments", id: "listDeployments",
		tag: "deployments", summary: "The stage's deployment history, without snapshots.", status: 200,
		result: "DeploymentList"},
	{method: "GET", path: "/v1/services/{svc}/stages/{stage}/deployments/{id}", id: "getDeployment",
		tag: "deployments", summary: "One deployment with its snapshot.", status: 200, result: "Deployment"},
	{method: "DELETE", path: "/v1/services/{svc}/stages/{stage}/deployments/{id}", id: "deleteDeployment",
		tag: "deployments", summary: "Delete a history entry (not the one the stage serves).", status: 204,
		conflict: true},
	{method: "POST", path: "/v1/services/{svc}/stages/{stage}/deployments/{id}/rollback", id: "rollback",
		tag: "deployments", summary: "Copy the deployment back into the stage's editable state; deploy to " +
			"serve it. If-Match names the stage's version.", status: 200, result: "Stage", etag: true,
		ifMatch: true, conflict: true},

	{method: "POST", path: "/v1/apply", id: "applyConfig", tag: "config",
		summary: "Apply a declarative document (the file of `portico apply`, as JSON) in one transaction: " +
			"services matched by ID or name, resource trees replaced, stages created or updated. Applying the " +
			"same document twice changes nothing. Errors name the field in the document. Bodies up to 16 MiB.",
		body: "ConfigDocument", status: 200, result: "ConfigResult", conflict: true, params: []string{"DryRun"}},
	{method: "GET", path: "/v1/export", id: "exportConfig", tag: "config",
		summary: "Every service, resource tree and stage as a declarative document, secrets redacted.",
		status:  200, result: "ConfigDocument"},

	{method: "GET", path: "/v1/modules", id: "listModules", tag: "modules",
		summary: "List WASM plugin modules (the newest version of each).", status: 200, result: "ModuleList"},
	{method: "GET", path: "/v1/modules/{name}", id: "getModule", tag: "modules",
		summary: "The newest version of a module.", status: 200, result: "Module"},
	{method: "PUT", path: "/v1/modules/{name}", id: "putModule", tag: "modules",
		summary: "Upload a module (Content-Type application/wasm, up to 32 MiB). It is validated (imports, " +
			"exports) before it is stored; new bytes add a version that the next deploy pins (201), the same bytes " +
			"change nothing (200).", body: "WASM", status: 200, result: "ModuleUpload"},
	{method: "DELETE", path: "/v1/modules/{name}", id: "deleteModule", tag: "modules",
		summary: "Delete every version of a module; refused while a plugin or a live deployment uses it.",
		status:  204, conflict: true},

	{method: "GET", path: "/v1/domains", id: "listDomains", tag: "domains", summary: "List custom domains.",
		status: 200, result: "DomainList"},
	{method: "POST", path: "/v1/domains", id: "createDomain", tag: "domains",
		summary: "Map a custom host (and optional base path) to a stage.", body: "DomainInput", status: 201,
		result: "Domain", etag: true, conflict: true},
	{method: "DELETE", path: "/v1/domains/{host}", id: "deleteDomain", tag: "domains",
		summary: "Remove a custom domain.", status: 204, ifMatch: true},

	// API keys and usage plans. Changes apply to the gateway at once, without a deploy.
	{method: "GET", path: "/v1/apikeys", id: "listAPIKeys", tag: "apikeys",
		summary: "List API keys with their connected stages, plans and quota usage (never their values).",
		status:  200, result: "APIKeyList"},
	{method: "POST", path: "/v1/apikeys", id: "createAPIKey", tag: "apikeys",
		summary: "Create an API key. Values left out are generated and returned in this response only: the " +
			"server keeps SHA-256 digests.", body: "APIKeyInput", status: 201, result: "APIKeyWithValues",
		etag: true, conflict: true},
	{method: "GET", path: "/v1/apikeys/{key}", id: "getAPIKey", tag: "apikeys",
		summary: "Get an API key with its connected stages, plans and quota usage.", status: 200,
		result: "APIKey", etag: true},
	{method: "PATCH", path: "/v1/apikeys/{key}", id: "updateAPIKey", tag: "apikeys",
		summary: "Change an API key's name, description or status (INACTIVE keys are refused with 403).",
		body:    "APIKeyPatch", status: 200, result: "APIKey", etag: true, ifMatch: true, conflict: true},
	{method: "DELETE", path: "/v1/apikeys/{key}", id: "deleteAPIKey", tag: "apikeys",
		summary: "Delete an API key; refused (409) while it is connected to a usage plan on a stage.",
		status:  204, ifMatch: true, conflict: true},
	{method: "POST", path: "/v1/apikeys/{key}/regenerate", id: "regenerateAPIKey", tag: "apikeys",
		summary: "Replace the primary or secondary value with a new one, returned in this response only; the old " +
			"value stops working.", body: "RegenerateRequest", status: 200, result: "APIKeyWithValues", etag: true,
		ifMatch: true, conflict: true},

	{method: "GET", path: "/v1/usageplans", id: "listUsagePlans", tag: "usageplans",
		summary: "List usage plans with their stages, keys and quota usage.", status: 200, result: "UsagePlanList"},
	{method: "POST", path: "/v1/usageplans", id: "createUsagePlan", tag: "usageplans",
		summary: "Create a usage plan: RPS limit (0: none) and quota (DAY or MONTH with a limit, or NONE).",
		body:    "UsagePlanInput", status: 201, result: "UsagePlan", etag: true, conflict: true},
	{method: "GET", path: "/v1/usageplans/{plan}", id: "getUsagePlan", tag: "usageplans",
		summary: "Get a usage plan with its stages, keys and quota usage.", status: 200, result: "UsagePlan",
		etag: true},
	{method: "PATCH", path: "/v1/usageplans/{plan}", id: "updateUsagePlan", tag: "usageplans",
		summary: "Change a usage plan; applies without a deploy. DAY<->MONTH keeps the keys' usage, NONE resets it.",
		body:    "UsagePlanPatch", status: 200, result: "UsagePlan", etag: true, ifMatch: true, conflict: true},
	{method: "DELETE", path: "/v1/usageplans/{plan}", id: "deleteUsagePlan", tag: "usageplans",
		summary: "Delete a usage plan; refused (409) while stages are connected to it.", status: 204,
		ifMatch: true, conflict: true},
	{method: "GET", path: "/v1/usageplans/{plan}/stages", id: "listPlanStages", tag: "usageplans",
		summary: "The stages connected to the plan, with their keys. The ETag is the plan's version.",
		status:  200, result: "PlanStageList", etag: true},
	{method: "POST", path: "/v1/usageplans/{plan}/stages", id: "connectPlanStage", tag: "usageplans",
		summary: "Connect a stage to the plan. If-Match names the plan's version.", body: "PlanStageInput",
		status: 201, result: "PlanStage", etag: true, ifMatch: true, conflict: true},
	{method: "DELETE", path: "/v1/usageplans/{plan}/stages/{svc}/{stage}", id: "disconnectPlanStage",
		tag: "usageplans", summary: "Disconnect a stage from the plan; refused (409) while keys are connected " +
			"to the plan there.", status: 204, ifMatch: true, conflict: true},
	{method: "GET", path: "/v1/usageplans/{plan}/stages/{svc}/{stage}/apikeys", id: "listPlanKeys",
		tag: "usageplans", summary: "The API keys connected to the plan on the stage, with their quota usage.",
		status: 200, result: "PlanKeyList", etag: true},
	{method: "POST", path: "/v1/usageplans/{plan}/stages/{svc}/{stage}/apikeys", id: "connectPlanKey",
		tag: "usageplans", summary: "Connect an API key to the plan on the stage. A key is in one plan per " +
			"stage: a key in another plan there is refused with 409 key_in_other_plan (move it instead).",
		body: "PlanKeyInput", status: 201, result: "PlanStage", etag: true, ifMatch: true, conflict: true},
	{method: "DELETE", path: "/v1/usageplans/{plan}/stages/{svc}/{stage}/apikeys/{key}", id: "disconnectPlanKey",
		tag: "usageplans", summary: "Disconnect an API key from the plan on the stage.", status: 204,
		ifMatch: true},
	{method: "POST", path: "/v1/usageplans/{plan}/stages/{svc}/{stage}/apikeys/{key}/move", id: "moveKey",
		tag: "usageplans", summary: "Move an API key to another plan connected to the same stage (409 " +
			"stage_not_connected otherwise). DAY and MONTH plans keep its quota usage, NONE resets it. If-Match " +
			"names the source plan's version; the answer is the new plan's stage connection.",
		body: "MoveKeyRequest", status: 200, result: "PlanStage", ifMatch: true, conflict: true},

	{method: "GET", path: "/v1/debug/pprof/{profile}", id: "getProfile", tag: "debug",
		summary: "A runtime profile of the gateway process, as net/http/pprof writes it (open it with " +
			"`go tool pprof`, a trace with `go tool trace`). `profile` samples the CPU for `seconds` (default 10), " +
			"`trace` records an execution trace (default 1 s); the others are snapshots, or deltas over `seconds`. " +
			"`seconds` must be 1 to 30 (400 invalid_argument otherwise). One CPU profile and one trace at a time " +
			"(409 profiler_busy).", status: 200, binary: true, conflict: true,
		params: []string{"Seconds", "Debug"}},
}

// obj is a JSON object in the document.
type obj = map[string]any

func ref(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }

// mustOpenAPI renders the document; it panics on a programming error (an unmarshalable value), which the tests catch.
func mustOpenAPI() []byte {
	b, err := json.MarshalIndent(openAPIDoc(), "", "  ")
	if err != nil {
		panic("admin: OpenAPI document: " + err.Error())
	}
	return b
}

func openAPIDoc() obj {
	paths := obj{}
	for _, op := range operations {
		item, _ := paths[op.path].(obj)
		if item == nil {
			item = obj{}
			paths[op.path] = item
		}
		item[strings.ToLower(op.method)] = op.document()
	}
	return obj{
		"openapi": OpenAPIVersion,
		"info": obj{
			"title":   "Portico admin API",
			"version": "1",
			"description": "Control plane of the Portico API gateway: services, resource trees, methods, plugins, " +
				"stages, deployments, custom domains, API keys and usage plans. Every response carries " +
				"x-request-id; errors have the Error shape. Single entities carry their version as ETag; writes " +
				"honour If-Match (412 when stale). In URLs, {svc} is a service ID or name and the stage `default` " +
				"is the default stage.",
		},
		"servers":  []obj{{"url": "/"}},
		"security": []obj{{"bearerAuth": []string{}}},
		"tags": []obj{
			{"name": "system"}, {"name": "services"}, {"name": "resources"}, {"name": "plugins"},
			{"name": "stages"}, {"name": "deployments"}, {"name": "domains"}, {"name": "config"},
			{"name": "apikeys"}, {"name": "usageplans"}, {"name": "debug"},
		},
		"paths": paths,
		"components": obj{
			"securitySchemes": obj{"bearerAuth": obj{"type": "http", "scheme": "bearer",
				"description": "The token in the data directory's " + TokenFile + "."}},
			"schemas":    schemas(),
			"parameters": parameters(),
			"headers": obj{
				"RequestID": obj{"description": "The request's ID, as sent or generated; quote it when " +
					"reporting a problem.", "schema": obj{"type": "string"}},
				"ETag": obj{"description": "The entity's version, quoted.", "schema": obj{"type": "string"}},
			},
			"responses": errorResponses(),
		},
	}
}

func (op operation) document() obj {
	d := obj{"operationId": op.id, "summary": op.summary, "tags": []string{op.tag}}
	var params []obj
	for _, seg := range strings.Split(op.path, "/") {
		if strings.HasPrefix(seg, "{") {
			params = append(params, ref("parameters", strings.Trim(seg, "{}")))
		}
	}
	if op.ifMatch {
		params = append(params, ref("parameters", "IfMatch"))
	}
	for _, p := range op.params {
		params = append(params, ref("parameters", p))
	}
	if params != nil {
		d["parameters"] = params
	}
	switch {
	case op.body == "WASM":
		d["requestBody"] = obj{"required": true,
			"content": obj{"application/wasm": obj{"schema": obj{"type": "string", "format": "binary"}}}}
	case op.body != "":
		d["requestBody"] = obj{"required": !op.bodyOptional,
			"content": obj{"application/json": obj{"schema": ref("schemas", op.body)}}}
	}
	success := obj{"description": http.StatusText(op.status),
		"headers": obj{"x-request-id": ref("headers", "RequestID")}}
	if op.etag {
		success["headers"].(obj)["ETag"] = ref("headers", "ETag")
	}
	switch {
	case op.binary:
		success["content"] = obj{
			"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}},
			"text/plain":               obj{"schema": obj{"type": "string"}}, // debug > 0
		}
	case op.result != "":
		success["content"] = obj{"application/json": obj{"schema": ref("schemas", op.result)}}
	case op.id == "openapi":
		success["content"] = obj{"application/json": obj{"schema": obj{"type": "object"}}}
	}
	responses := obj{strconv.Itoa(op.status): success}
	for _, code := range op.errorStatuses() {
		responses[strconv.Itoa(code)] = ref("responses", strconv.Itoa(code))
	}
	d["responses"] = responses
	if op.public {
		d["security"] = []obj{}
	}
	return d
}

// errorStatuses lists the error statuses op may answer.
func (op operation) errorStatuses() []int {
	codes := []int{http.StatusInternalServerError}
	if !op.public {
		codes = append(codes, http.StatusUnauthorized)
	}
	if op.body != "" || op.ifMatch || strings.Contains(op.path, "{id}") || len(op.params) > 0 {
		codes = append(codes, http.StatusBadRequest)
	}
	if op.body != "" {
		codes = append(codes, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	if strings.Contains(op.path, "{") {
		codes = append(codes, http.StatusNotFound)
	}
	if op.ifMatch {
		codes = append(codes, http.StatusPreconditionFailed)
	}
	if op.conflict {
		codes = append(codes, http.StatusConflict)
	}
	sort.Ints(codes)
	return codes
}

func errorResponses() obj {
	rs := obj{}
	for code, what := range map[int]string{
		400: "The input breaks a rule; `field` names the offending field. Malformed JSON is `invalid_json`.",
		401: "Missing or wrong bearer token (`unauthorized`).",
		404: "No such entity, or no such route (`not_found`).",
		409: "A duplicate, a limit reached, a deletion blocked by something that depends on it, or a " +
			"profiler already running (`profiler_busy`).",
		412: "If-Match named an older version (`version_mismatch`): read the entity again and retry.",
		413: "The request body is too large (`body_too_large`).",
		415: "The request body is not JSON (`unsupported_media_type`).",
		500: "An internal error (`internal`, details only in the server log), or `reload_failed`.",
	} {
		rs[strconv.Itoa(code)] = obj{"description": what,
			"headers": obj{"x-request-id": ref("headers", "RequestID")},
			"content": obj{"application/json": obj{"schema": ref("schemas", "Error")}}}
	}
	return rs
}

func parameters() obj {
	path := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": schema}
	}
	return obj{
		"svc":   path("svc", "Service ID or name.", obj{"type": "string"}),
		"id":    path("id", "Numeric ID.", obj{"type": "integer", "format": "int64", "minimum": 1}),
		"stage": path("stage", "Stage name; `default` is the default stage (name \"\").", obj{"type": "string"}),
		"host":  path("host", "Custom host name.", obj{"type": "string"}),
		"name":  path("name", "Module name.", obj{"type": "string"}),
		"key":   path("key", "API key name or ID.", obj{"type": "string"}),
		"plan":  path("plan", "Usage plan name or ID.", obj{"type": "string"}),
		"profile": path("profile", "`profile` (CPU), `trace`, or a named profile: heap, allocs, goroutine, "+
			"block, mutex, threadcreate.", obj{"type": "string"}),
		"IfMatch": obj{"name": "If-Match", "in": "header", "required": false,
			"description": "The version read (its ETag, like \"3\", or a bare number); * or absent skips the check.",
			"schema":      obj{"type": "string"}},
		"DryRun": obj{"name": "dryRun", "in": "query", "required": false,
			"description": "Compute and report the changes, then roll them back.", "schema": obj{"type": "boolean"}},
		"Seconds": obj{"name": "seconds", "in": "query", "required": false,
			"description": "Sampling window, 1 to 30 s: CPU profile default 10, trace default 1; on a named " +
				"profile it asks for the delta over that window.",
			"schema": obj{"type": "integer", "minimum": minProfileSeconds, "maximum": maxProfileSeconds}},
		"Debug": obj{"name": "debug", "in": "query", "required": false,
			"description": "Named profiles only: 0 (default) is the gzipped protobuf; 1 or 2 is text " +
				"(goroutine with 2: every stack, as in a crash).", "schema": obj{"type": "integer", "minimum": 0}},
		"Author": obj{"name": AuthorHeader, "in": "header", "required": false,
			"description": "Who deploys; recorded in the history (default \"" + DefaultAuthor + "\").",
			"schema":      obj{"type": "string"}},
	}
}
