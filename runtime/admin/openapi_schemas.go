package admin

// Component schemas of the OpenAPI document. Each describes one Go type of this package or of storage, field for
// field (a test compares them by reflection).

func str(desc string) obj {
	s := obj{"type": "string"}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func enum(desc string, values ...string) obj {
	s := str(desc)
	s["enum"] = values
	return s
}

func integer(desc string) obj {
	s := obj{"type": "integer", "format": "int64"}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func boolean(desc string) obj {
	s := obj{"type": "boolean"}
	if desc != "" {
		s["description"] = desc
	}
	return s
}

func dateTime() obj { return obj{"type": "string", "format": "date-time"} }

func arr(items obj) obj { return obj{"type": "array", "items": items} }

func mapOf(values obj) obj { return obj{"type": "object", "additionalProperties": values} }

func schemaRef(name string) obj { return ref("schemas", name) }

// rawJSON is a slot holding JSON only its owner (a plugin, a built-in check) decodes.
func rawJSON(desc string) obj { return obj{"description": desc} }

// closed marks a request body schema: the server refuses fields it doesn't know.
func closed(s obj) obj {
	s["additionalProperties"] = false
	return s
}

func nullable(s obj) obj {
	if _, isRef := s["$ref"]; isRef {
		return obj{"allOf": []obj{s}, "nullable": true}
	}
	c := obj{"nullable": true}
	for k, v := range s {
		c[k] = v
	}
	return c
}

func object(desc string, props obj, required ...string) obj {
	s := obj{"type": "object", "properties": props}
	if desc != "" {
		s["description"] = desc
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

var httpMethodNames = []string{"HEAD", "OPTIONS", "GET", "POST", "PUT", "DELETE", "PATCH", "ANY"}

func backendProps() obj {
	return obj{
		"type":    enum("http: a path appended to the stage's backend URL; mock: a custom response.", "http", "mock"),
		"path":    str("http: the backend path, starting with /; may hold context variables."),
		"status":  obj{"type": "integer", "description": "mock: the response status."},
		"headers": mapOf(str("")),
		"body":    str("mock: the response body; may hold context variables."),
	}
}

func settingsProps() obj {
	return obj{
		"ipAcl":      rawJSON("IP ACL configuration."),
		"auth":       rawJSON("Authentication (HMAC or JWT) configuration."),
		"rateLimit":  rawJSON("Rate limit configuration."),
		"apiKey":     rawJSON("API key requirement."),
		"preCall":    rawJSON("Pre-call API configuration."),
		"backendUrl": str("Backend URL override."),
	}
}

func pathSettingsProps() obj {
	p := settingsProps()
	p["methods"] = mapOf(schemaRef("Settings"))
	return p
}

func schemas() obj {
	all := obj{
		"Error": object("Every error response.", obj{"error": schemaRef("ErrorDetail")}, "error"),
		"ErrorDetail": object("", obj{
			"code":      str("Stable snake_case code."),
			"message":   str("What went wrong and what to do."),
			"field":     str("The offending field, when there is one."),
			"requestId": str("The request's ID."),
		}, "code", "message"),
		"HealthStatus": object("", obj{"status": enum("", "ok")}, "status"),
		"RuntimeStatus": object("What the gateway serves now.", obj{
			"version":   str("Portico version."),
			"startedAt": dateTime(),
			"listen":    arr(str("")),
			"domain":    str("The domain stage hosts live under."),
			"ready":     boolean("Whether the gateway serves."),
			"stages":    arr(schemaRef("LiveStage")),
		}),
		"LiveStage": object("", obj{
			"serviceId":    str(""),
			"stageName":    str(""),
			"deploymentId": integer(""),
			"url":          str(""),
		}),

		"Service": object("", obj{
			"id":          str("Generated: 8 characters a–z0–9."),
			"name":        str(""),
			"description": str(""),
			"version":     integer(""),
			"createdAt":   dateTime(),
			"updatedAt":   dateTime(),
		}),
		"ServiceInput": closed(object("", obj{"name": str(""), "description": str("")}, "name")),
		"ServicePatch": closed(object("Fields left out keep their value.", obj{"name": str(""), "description": str("")})),
		"ServiceList":  object("", obj{"services": arr(schemaRef("Service"))}),

		"ResourceTree": object("A service's (or a stage's) resources sorted by path.",
			obj{"resources": arr(schemaRef("Resource"))}),
		"Resource": object("", obj{
			"id":        integer(""),
			"serviceId": str(""),
			"path":      str("Like /members/{memberId} or /{proxy+}; at most 255 characters."),
			"version":   integer(""),
			"plugins":   arr(schemaRef("PluginBinding")),
			"methods":   arr(schemaRef("Method")),
		}),
		"ResourceInput": closed(object("", obj{"path": str("")}, "path")),
		"Method": object("", obj{
			"id":          integer(""),
			"resourceId":  integer(""),
			"method":      enum("", httpMethodNames...),
			"name":        str(""),
			"description": str(""),
			"backend":     schemaRef("Backend"),
			"version":     integer(""),
			"plugins":     arr(schemaRef("PluginBinding")),
			"managedBy":   str("The plugin that created this method; such methods cannot be edited."),
		}),
		"MethodInput": closed(object("", obj{
			"method":      enum("", httpMethodNames...),
			"name":        str(""),
			"description": str(""),
			"backend":     schemaRef("Backend"),
		}, "method", "backend")),
		"MethodPatch": closed(object("Fields left out keep their value; the HTTP method cannot change.", obj{
			"method":      enum("Accepted only when equal to the current one.", httpMethodNames...),
			"name":        str(""),
			"description": str(""),
			"backend":     schemaRef("BackendPatch"),
		})),
		"Backend":      object("", backendProps(), "type"),
		"BackendPatch": closed(object("Fields left out keep their value.", backendProps())),
		"PluginBinding": object("", obj{
			"id":               integer(""),
			"type":             str("The plugin's registered name."),
			"phase":            enum("", "request", "response"),
			"overrideChildren": boolean("Copy the setting down to every path and method below."),
			"config":           rawJSON("The plugin's configuration, decoded only by the plugin."),
			"version":          integer(""),
		}),
		"PluginInput": closed(object("", obj{
			"type":             str(""),
			"phase":            enum("", "request", "response"),
			"overrideChildren": boolean(""),
			"config":           rawJSON(""),
		}, "type", "phase")),
		"PluginPatch": closed(object("Fields left out keep their value; config replaces the whole configuration.", obj{
			"type":             str(""),
			"phase":            enum("", "request", "response"),
			"overrideChildren": boolean(""),
			"config":           rawJSON(""),
		})),

		"Settings":      object("Stage checks of one node.", settingsProps()),
		"PathSettings":  object("Settings of a path and of its methods.", pathSettingsProps()),
		"StageSettings": mapOf(schemaRef("PathSettings")),
		"Stage": object("", obj{
			"id":                   integer(""),
			"serviceId":            str(""),
			"name":                 str("[a-z0-9]{0,30}; empty is the default stage."),
			"description":          str(""),
			"backendUrl":           str(""),
			"settings":             schemaRef("StageSettings"),
			"resources":            nullable(schemaRef("ResourceTree")),
			"resourcesAppliedAt":   nullable(dateTime()),
			"baseDeploymentId":     nullable(integer("The deployment the editable state is based on.")),
			"deployedDeploymentId": nullable(integer("The deployment the stage serves.")),
			"version":              integer(""),
			"createdAt":            dateTime(),
			"updatedAt":            dateTime(),
		}),
		"StageInput": closed(object("", obj{
			"name":        str("Empty creates the default stage; `default` is reserved."),
			"description": str(""),
			"backendUrl":  str(""),
			"settings":    schemaRef("StageSettings"),
		}, "backendUrl")),
		"StagePatch": closed(object("Fields left out keep their value; settings merge per path, null removes a path.", obj{
			"name":        str("Accepted only when equal to the current one."),
			"description": str(""),
			"backendUrl":  str(""),
			"settings":    mapOf(nullable(schemaRef("PathSettings"))),
		})),
		"StageList": object("", obj{"stages": arr(schemaRef("Stage"))}),
		"ApplyResult": object("", obj{
			"stage":   schemaRef("Stage"),
			"changed": boolean("False when the stage already had the current tree."),
		}),

		"DeployRequest": closed(object("", obj{
			"description":    str(""),
			"applyResources": boolean("Apply the current resource tree first, in the same transaction."),
		})),
		"Deployment": object("", obj{
			"id":          integer(""),
			"stageId":     integer(""),
			"serviceId":   str(""),
			"stageName":   str(""),
			"description": str(""),
			"author":      str(""),
			"status":      enum("", "SUCCESS", "FAILED"),
			"createdAt":   dateTime(),
			"deployed":    boolean("The stage serves this deployment."),
			"base":        boolean("The stage's editable state is based on this deployment."),
			"snapshot":    nullable(schemaRef("Snapshot")),
		}),
		"DeploymentList": object("", obj{"deployments": arr(schemaRef("Deployment"))}),
		"Snapshot": object("Everything the gateway needs to serve one stage.", obj{
			"serviceId":  str(""),
			"stageName":  str(""),
			"backendUrl": str(""),
			"resources":  schemaRef("ResourceTree"),
			"settings":   schemaRef("StageSettings"),
			"modules":    arr(schemaRef("ModuleRef")),
		}),
		"ModuleRef": object("", obj{"name": str(""), "digest": str("SHA-256, hex.")}),
		"Module": object("A version of a WASM plugin module.", obj{
			"name": str(""), "digest": str("SHA-256 of the bytes, hex."), "size": integer("Bytes."),
			"version": integer(""), "createdAt": dateTime(),
		}),
		"ModuleList":   object("", obj{"modules": arr(schemaRef("Module"))}),
		"ModuleUpload": object("", obj{"module": schemaRef("Module"), "created": boolean("New bytes for this name.")}),

		"Domain": object("", obj{
			"host":      str(""),
			"serviceId": str(""),
			"stageName": str(""),
			"basePath":  str(""),
			"version":   integer(""),
			"createdAt": dateTime(),
		}),
		"DomainInput": closed(object("", obj{
			"host":      str(""),
			"serviceId": str("Service ID or name."),
			"stageName": str("Empty is the default stage."),
			"basePath":  str(""),
		}, "host", "serviceId")),
		"DomainList": object("", obj{"domains": arr(schemaRef("Domain"))}),

		// The declarative document is its own public contract, described by its JSON Schema; only its top level is
		// spelled out here.
		"ConfigDocument": object("A declarative configuration document (the YAML file of `portico apply`, as JSON).",
			obj{
				"services":   arr(obj{"type": "object", "description": "A service with its resources and stages."}),
				"modules":    arr(obj{"type": "object", "description": "A WASM module reference."}),
				"apiKeys":    arr(obj{"type": "object", "description": "An API key (values redacted on export)."}),
				"usagePlans": arr(obj{"type": "object", "description": "A usage plan."}),
			}, "services"),
		"ConfigResult": object("What an apply changed, or would change in a dry run.", obj{
			"changes":       arr(schemaRef("ConfigChange")),
			"dryRun":        boolean(""),
			"generatedKeys": arr(schemaRef("GeneratedKey")),
		}),
		"ConfigChange": object("", obj{
			"object": str("What changed, e.g. `service shop` or `stage shop/test`."),
			"action": enum("", "created", "updated", "unchanged", "uploaded", "removed"),
		}),
		"GeneratedKey": object("An API key value the apply generated, shown in this response only (not in a "+
			"dry run).", obj{
			"name":  str("The API key."),
			"which": enum("", "primary", "secondary"),
			"value": str(""),
		}),
	}
	for name, schema := range keySchemas() {
		all[name] = schema
	}
	return all
}

// keySchemas describes API keys and usage plans (apikeys.go, usageplans.go).
func keySchemas() obj {
	quota := func() obj {
		return object("Quota usage in the current period (live from the gateway when it has the count).", obj{
			"period":      enum("", "DAY", "MONTH", "NONE"),
			"limit":       integer("Requests per period."),
			"used":        integer("Requests counted in the current period."),
			"periodStart": nullable(dateTime()),
		}, "period", "used")
	}
	status := enum("INACTIVE keys are refused (403).", "ACTIVE", "INACTIVE")
	keyProps := func() obj {
		return obj{
			"id":          integer(""),
			"name":        str("Unique; not only digits."),
			"description": str(""),
			"status":      status,
			"version":     integer(""),
			"createdAt":   dateTime(),
			"updatedAt":   dateTime(),
			"connections": arr(schemaRef("KeyConnection")),
		}
	}
	withValues := keyProps()
	withValues["primaryKey"] = str("The generated primary value, shown only in this response.")
	withValues["secondaryKey"] = str("The generated secondary value, shown only in this response.")
	planInputProps := func() obj {
		return obj{
			"name":        str("Unique; not only digits."),
			"description": str(""),
			"rps":         integer("Requests per second per key and stage; 0: no limit."),
			"quotaPeriod": enum("Quota period (reset at 00:00 UTC daily or on the 1st); NONE: no quota.",
				"DAY", "MONTH", "NONE"),
			"quotaLimit": integer("Requests per period per key and stage (with DAY or MONTH)."),
		}
	}
	planProps := planInputProps()
	extra := obj{"id": integer(""), "version": integer(""), "createdAt": dateTime(), "updatedAt": dateTime(),
		"stages": arr(schemaRef("PlanStage"))}
	for k, v := range extra {
		planProps[k] = v
	}
	return obj{
		"QuotaUse": quota(),
		"APIKey":   object("An API key; its values are never returned after create or regenerate.", keyProps()),
		"KeyConnection": object("A stage the key may call and the plan that limits it there.", obj{
			"planId":    integer(""),
			"planName":  str(""),
			"serviceId": str(""),
			"stageName": str(""),
			"stageId":   integer(""),
			"rps":       integer(""),
			"quota":     schemaRef("QuotaUse"),
			"createdAt": dateTime(),
		}),
		"APIKeyInput": closed(object("Values left out are generated.", obj{
			"name":         str(""),
			"description":  str(""),
			"status":       status,
			"primaryKey":   str("Optional given value: 16-256 visible ASCII characters."),
			"secondaryKey": str("Optional given value: 16-256 visible ASCII characters."),
		}, "name")),
		"APIKeyPatch": closed(object("Fields left out keep their value.", obj{
			"name": str(""), "description": str(""), "status": status,
		})),
		"APIKeyWithValues":  object("An API key with the values generated by this call, shown once.", withValues),
		"RegenerateRequest": closed(object("", obj{"which": enum("", "primary", "secondary")}, "which")),
		"APIKeyList":        object("", obj{"apiKeys": arr(schemaRef("APIKey"))}),

		"UsagePlan":      object("", planProps),
		"UsagePlanInput": closed(object("", planInputProps(), "name")),
		"UsagePlanPatch": closed(object("Fields left out keep their value; quotaPeriod NONE clears the limit.",
			planInputProps())),
		"UsagePlanList": object("", obj{"usagePlans": arr(schemaRef("UsagePlan"))}),
		"PlanStage": object("A stage connected to a plan, with the keys connected to the plan there.", obj{
			"serviceId": str(""),
			"stageName": str(""),
			"stageId":   integer(""),
			"createdAt": dateTime(),
			"apiKeys":   arr(schemaRef("PlanStageKey")),
		}),
		"PlanStageKey": object("", obj{
			"id":        integer(""),
			"name":      str(""),
			"status":    status,
			"quota":     schemaRef("QuotaUse"),
			"createdAt": dateTime(),
		}),
		"PlanStageInput": closed(object("", obj{
			"service": str("Service ID or name."),
			"stage":   str("Stage name; empty or `default` is the default stage."),
		}, "service")),
		"PlanStageList":  object("", obj{"stages": arr(schemaRef("PlanStage"))}),
		"PlanKeyInput":   closed(object("", obj{"apiKey": str("API key name or ID.")}, "apiKey")),
		"PlanKeyList":    object("", obj{"apiKeys": arr(schemaRef("PlanStageKey"))}),
		"MoveKeyRequest": closed(object("", obj{"plan": str("The plan to move to (name or ID).")}, "plan")),
	}
}
