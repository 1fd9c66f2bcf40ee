package admin

import (
	"context"
	"net/http"
	"net/url"

	"github.com/portico-gateway/portico/storage"
)

// Typed calls for API keys and usage plans. key and plan are names or IDs; svc is a service ID or name; stage "" is
// the default stage. ifVersion 0 skips the If-Match check (for connections, it names the plan's version).

func keyPath(key string) string   { return "/v1/apikeys/" + url.PathEscape(key) }
func planPath(plan string) string { return "/v1/usageplans/" + url.PathEscape(plan) }

func planStagePath(plan, svc, stage string) string {
	return planPath(plan) + "/stages/" + url.PathEscape(svc) + "/" + url.PathEscape(stageURLName(stage))
}

// API keys.

func (c *Client) ListAPIKeys(ctx context.Context) ([]storage.APIKey, error) {
	var l APIKeyList
	err := c.Do(ctx, http.MethodGet, "/v1/apikeys", nil, &l)
	return l.APIKeys, err
}

// CreateAPIKey creates a key; the result holds the generated values, which no later call returns.
func (c *Client) CreateAPIKey(ctx context.Context, in APIKeyInput) (APIKeyWithValues, error) {
	var k APIKeyWithValues
	err := c.Do(ctx, http.MethodPost, "/v1/apikeys", in, &k)
	return k, err
}

func (c *Client) GetAPIKey(ctx context.Context, key string) (storage.APIKey, error) {
	var k storage.APIKey
	err := c.Do(ctx, http.MethodGet, keyPath(key), nil, &k)
	return k, err
}

func (c *Client) UpdateAPIKey(ctx context.Context, key string, p APIKeyPatch, ifVersion int64) (storage.APIKey, error) {
	var k storage.APIKey
	_, err := c.do(ctx, http.MethodPatch, keyPath(key), matchVersion(ifVersion), p, &k)
	return k, err
}

func (c *Client) DeleteAPIKey(ctx context.Context, key string, ifVersion int64) error {
	_, err := c.do(ctx, http.MethodDelete, keyPath(key), matchVersion(ifVersion), nil, nil)
	return err
}

// RegenerateAPIKey replaces the primary or secondary value; the result holds the new value, shown this once.
func (c *Client) RegenerateAPIKey(ctx context.Context, key, which string, ifVersion int64) (APIKeyWithValues, error) {
	var k APIKeyWithValues
	_, err := c.do(ctx, http.MethodPost, keyPath(key)+"/regenerate", matchVersion(ifVersion),
		RegenerateRequest{Which: which}, &k)
	return k, err
}

// Usage plans.

func (c *Client) ListUsagePlans(ctx context.Context) ([]storage.UsagePlan, error) {
	var l UsagePlanList
	err := c.Do(ctx, http.MethodGet, "/v1/usageplans", nil, &l)
	return l.UsagePlans, err
}

func (c *Client) CreateUsagePlan(ctx context.Context, in UsagePlanInput) (storage.UsagePlan, error) {
	var p storage.UsagePlan
	err := c.Do(ctx, http.MethodPost, "/v1/usageplans", in, &p)
	return p, err
}

func (c *Client) GetUsagePlan(ctx context.Context, plan string) (storage.UsagePlan, error) {
	var p storage.UsagePlan
	err := c.Do(ctx, http.MethodGet, planPath(plan), nil, &p)
	return p, err
}

func (c *Client) UpdateUsagePlan(ctx context.Context, plan string, in UsagePlanPatch, ifVersion int64) (storage.UsagePlan, error) {
	var p storage.UsagePlan
	_, err := c.do(ctx, http.MethodPatch, planPath(plan), matchVersion(ifVersion), in, &p)
	return p, err
}

func (c *Client) DeleteUsagePlan(ctx context.Context, plan string, ifVersion int64) error {
	_, err := c.do(ctx, http.MethodDelete, planPath(plan), matchVersion(ifVersion), nil, nil)
	return err
}

func (c *Client) ListPlanStages(ctx context.Context, plan string) ([]storage.PlanStage, error) {
	var l PlanStageList
	err := c.Do(ctx, http.MethodGet, planPath(plan)+"/stages", nil, &l)
	return l.Stages, err
}

func (c *Client) ConnectPlanStage(ctx context.Context, plan, svc, stage string, ifVersion int64) (storage.PlanStage, error) {
	var ps storage.PlanStage
	_, err := c.do(ctx, http.MethodPost, planPath(plan)+"/stages", matchVersion(ifVersion),
		PlanStageInput{Service: svc, Stage: stage}, &ps)
	return ps, err
}

func (c *Client) DisconnectPlanStage(ctx context.Context, plan, svc, stage string, ifVersion int64) error {
	_, err := c.do(ctx, http.MethodDelete, planStagePath(plan, svc, stage), matchVersion(ifVersion), nil, nil)
	return err
}

func (c *Client) ListPlanKeys(ctx context.Context, plan, svc, stage string) ([]storage.PlanStageKey, error) {
	var l PlanKeyList
	err := c.Do(ctx, http.MethodGet, planStagePath(plan, svc, stage)+"/apikeys", nil, &l)
	return l.APIKeys, err
}

func (c *Client) ConnectPlanKey(ctx context.Context, plan, svc, stage, key string, ifVersion int64) (storage.PlanStage, error) {
	var ps storage.PlanStage
	_, err := c.do(ctx, http.MethodPost, planStagePath(plan, svc, stage)+"/apikeys", matchVersion(ifVersion),
		PlanKeyInput{APIKey: key}, &ps)
	return ps, err
}

func (c *Client) DisconnectPlanKey(ctx context.Context, plan, svc, stage, key string, ifVersion int64) error {
	_, err := c.do(ctx, http.MethodDelete, planStagePath(plan, svc, stage)+"/apikeys/"+url.PathEscape(key),
		matchVersion(ifVersion), nil, nil)
	return err
}

// MoveKey moves a key on a stage from plan to toPlan; it returns toPlan's stage connection.
func (c *Client) MoveKey(ctx context.Context, plan, svc, stage, key, toPlan string, ifVersion int64) (storage.PlanStage, error) {
	var ps storage.PlanStage
	_, err := c.do(ctx, http.MethodPost, planStagePath(plan, svc, stage)+"/apikeys/"+url.PathEscape(key)+"/move",
		matchVersion(ifVersion), MoveKeyRequest{Plan: toPlan}, &ps)
	return ps, err
}
