-- 0001: the whole control-plane model. Later migrations add behaviour-specific columns and indexes only.
-- Conventions: every entity has version (optimistic concurrency, starts at 1) and times as RFC 3339 UTC text.
-- Integer keys use AUTOINCREMENT so a deleted id is never handed out again: ids appear in ETags, URLs and logs.
-- ON DELETE CASCADE where the console model cascades (service -> everything it owns; resource subtree -> methods
-- -> plugins). Where the model forbids a deletion (a stage connected to a usage plan, a plan with stages, a key with
-- connections) the reference has no action, so SQLite refuses it, and the Go code checks first to name the blocker.

CREATE TABLE services (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A resource is a path node; parent_id makes the tree explicit so deleting a node cascades to its subtree.
CREATE TABLE resources (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    parent_id  INTEGER REFERENCES resources (id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (service_id, path)
);
CREATE INDEX resources_parent ON resources (parent_id);

CREATE TABLE methods (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id  TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE, -- denormalised: scoping and the limit
    resource_id INTEGER NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    http_method TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    backend     TEXT NOT NULL, -- Backend as JSON
    managed_by  TEXT NOT NULL DEFAULT '',
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (resource_id, http_method)
);
CREATE INDEX methods_service ON methods (service_id);

-- A plugin binding belongs to exactly one resource or one method; position orders the bindings of one owner.
CREATE TABLE plugin_bindings (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id        TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    resource_id       INTEGER REFERENCES resources (id) ON DELETE CASCADE,
    method_id         INTEGER REFERENCES methods (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    type              TEXT NOT NULL,
    phase             TEXT NOT NULL CHECK (phase IN ('request', 'response')),
    override_children INTEGER NOT NULL DEFAULT 0,
    config            TEXT NOT NULL DEFAULT '', -- raw JSON object, decoded only by the plugin
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CHECK ((resource_id IS NULL) <> (method_id IS NULL))
);
CREATE INDEX plugin_bindings_resource ON plugin_bindings (resource_id, position);
CREATE INDEX plugin_bindings_method ON plugin_bindings (method_id, position);
CREATE INDEX plugin_bindings_service ON plugin_bindings (service_id);

CREATE TABLE stages (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id             TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    name                   TEXT NOT NULL, -- '' is the default stage
    description            TEXT NOT NULL DEFAULT '',
    backend_url            TEXT NOT NULL,
    settings               TEXT NOT NULL DEFAULT '{}', -- StageSettings as JSON
    resources              TEXT,                       -- the applied ResourceTree as JSON; NULL until first applied
    resources_applied_at   TEXT,
    base_deployment_id     INTEGER REFERENCES deployments (id) ON DELETE SET NULL,
    deployed_deployment_id INTEGER REFERENCES deployments (id) ON DELETE SET NULL, -- Go refuses deleting it
    version                INTEGER NOT NULL DEFAULT 1,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    UNIQUE (service_id, name)
);

CREATE TABLE deployments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    stage_id    INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    service_id  TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    description TEXT NOT NULL DEFAULT '',
    author      TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('SUCCESS', 'FAILED')),
    snapshot    TEXT NOT NULL, -- Snapshot as JSON
    created_at  TEXT NOT NULL
);
CREATE INDEX deployments_stage ON deployments (stage_id, id);

CREATE TABLE domains (
    host       TEXT PRIMARY KEY,
    stage_id   INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    base_path  TEXT NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX domains_stage ON domains (stage_id);

-- Key values are stored only as SHA-256 hex digests; the value itself is shown once.
CREATE TABLE api_keys (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL UNIQUE,
    description    TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE')),
    primary_hash   TEXT NOT NULL UNIQUE,
    secondary_hash TEXT NOT NULL UNIQUE,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE usage_plans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    rps          INTEGER NOT NULL DEFAULT 0 CHECK (rps >= 0), -- 0: no RPS limit
    quota_period TEXT NOT NULL DEFAULT 'NONE' CHECK (quota_period IN ('NONE', 'DAY', 'MONTH')),
    quota_limit  INTEGER NOT NULL DEFAULT 0 CHECK (quota_limit >= 0),
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- A plan connected to a stage. Neither side may be deleted while connected (no ON DELETE action).
CREATE TABLE plan_stages (
    plan_id    INTEGER NOT NULL REFERENCES usage_plans (id),
    stage_id   INTEGER NOT NULL REFERENCES stages (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (plan_id, stage_id)
);
CREATE INDEX plan_stages_stage ON plan_stages (stage_id);

-- A key connected to a (plan, stage). UNIQUE (stage_id, key_id): a key is in at most one plan per stage. The
-- connection blocks disconnecting the stage from the plan and deleting the key.
CREATE TABLE plan_stage_keys (
    plan_id    INTEGER NOT NULL,
    stage_id   INTEGER NOT NULL,
    key_id     INTEGER NOT NULL REFERENCES api_keys (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (plan_id, stage_id, key_id),
    UNIQUE (stage_id, key_id),
    FOREIGN KEY (plan_id, stage_id) REFERENCES plan_stages (plan_id, stage_id)
);
CREATE INDEX plan_stage_keys_key ON plan_stage_keys (key_id);

-- Uploaded WASM modules, kept by version: a name may have many digests, deployments reference (name, digest).
CREATE TABLE modules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    digest     TEXT NOT NULL CHECK (length(digest) = 64), -- SHA-256, lower-case hex
    bytes      BLOB NOT NULL,
    size       INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    UNIQUE (name, digest)
);

-- Quota usage per (key, stage): one running counter for the period that starts at period_start. Flushed in
-- batches from memory; never touched on the request path.
CREATE TABLE quota_usage (
    key_id       INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    stage_id     INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    period_start TEXT NOT NULL,
    count        INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (key_id, stage_id)
);

-- Traffic statistics in time buckets. resolution is the bucket width in seconds (60 = the 1-minute buckets the
-- flusher writes; 600, 3600, 86400 = roll-ups). route is "METHOD /path" or '' for the whole stage. No foreign keys:
-- stats are flushed asynchronously and may outlive the stage; retention (90 days) deletes them.
CREATE TABLE stats_buckets (
    service_id     TEXT NOT NULL,
    stage_name     TEXT NOT NULL,
    route          TEXT NOT NULL DEFAULT '',
    resolution     INTEGER NOT NULL DEFAULT 60,
    bucket_start   INTEGER NOT NULL, -- unix seconds, a multiple of resolution
    count_2xx      INTEGER NOT NULL DEFAULT 0,
    count_3xx      INTEGER NOT NULL DEFAULT 0,
    count_4xx      INTEGER NOT NULL DEFAULT 0,
    count_5xx      INTEGER NOT NULL DEFAULT 0,
    count_gateway  INTEGER NOT NULL DEFAULT 0, -- answered by the gateway without calling the backend
    latency_sum_us INTEGER NOT NULL DEFAULT 0,
    latency_max_us INTEGER NOT NULL DEFAULT 0,
    latency_hist   BLOB,                       -- latency histogram, for percentiles that survive roll-ups
    bytes_out      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, stage_name, route, resolution, bucket_start)
);
CREATE INDEX stats_buckets_time ON stats_buckets (resolution, bucket_start);

-- Calls per API key (the dashboard's API key tab), same bucketing as stats_buckets.
CREATE TABLE key_stats_buckets (
    key_id        INTEGER NOT NULL,
    service_id    TEXT NOT NULL,
    stage_name    TEXT NOT NULL,
    resolution    INTEGER NOT NULL DEFAULT 60,
    bucket_start  INTEGER NOT NULL,
    calls         INTEGER NOT NULL DEFAULT 0,
    count_gateway INTEGER NOT NULL DEFAULT 0, -- refused by a plugin or the usage plan
    PRIMARY KEY (key_id, service_id, stage_name, resolution, bucket_start)
);
CREATE INDEX key_stats_buckets_time ON key_stats_buckets (resolution, bucket_start);
