package config

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/portico-gateway/portico/storage"
)

// The apiKeys: and usagePlans: sections. Keys are matched by name: a key in the file is created (values left out
// are generated, and returned once in Result.GeneratedKeys) or updated (description, status, and a value the file
// gives); keys not in the file stay. Plans are matched by name and, like a service's resource tree, their stage and
// key connections become exactly what the file lists: a key listed for a stage under another plan moves there.

// GeneratedKey is a key value Apply generated. It appears in the apply result only: the store keeps its digest.
type GeneratedKey struct {
	Name  string `json:"name"`
	Which string `json:"which"` // primary | secondary
	Value string `json:"value"`
}

// Change action for a connection the file no longer lists.
const actionRemoved = "removed"

func applyAPIKeys(ctx context.Context, tx *storage.Tx, defs []APIKey, res *Result) error {
	seen := map[string]int{}
	for i, def := range defs {
		where := fmt.Sprintf("apiKeys[%d]", i)
		if j, dup := seen[def.Name]; dup {
			return storage.Invalid(where+".name", "API key %q is already defined at apiKeys[%d]", def.Name, j)
		}
		seen[def.Name] = i
		c, err := applyAPIKey(ctx, tx, def, res)
		if err != nil {
			if se, ok := storage.AsError(err); ok {
				return se.WithField(where)
			}
			return fmt.Errorf("%s: %w", where, err)
		}
		res.Changes = append(res.Changes, c)
	}
	return nil
}

func applyAPIKey(ctx context.Context, tx *storage.Tx, def APIKey, res *Result) (Change, error) {
	object := "apiKey " + def.Name
	status := def.Status
	if status == "" {
		status = storage.KeyActive
	}
	cur, err := tx.GetAPIKey(ctx, def.Name)
	if se, ok := storage.AsError(err); ok && se.Kind == storage.KindNotFound {
		_, gen, err := tx.CreateAPIKey(ctx, storage.APIKey{Name: def.Name, Description: def.Description,
			Status: status}, storage.KeyValues{Primary: def.PrimaryKey, Secondary: def.SecondaryKey})
		if err != nil {
			return Change{}, err
		}
		for _, g := range []GeneratedKey{{def.Name, storage.KeyPrimary, gen.Primary},
			{def.Name, storage.KeySecondary, gen.Secondary}} {
			if g.Value != "" {
				res.GeneratedKeys = append(res.GeneratedKeys, g)
			}
		}
		return Change{Object: object, Action: "created"}, nil
	}
	if err != nil {
		return Change{}, err
	}
	changed := false
	if cur.Description != def.Description || cur.Status != status {
		cur.Description, cur.Status = def.Description, status
		if _, err := tx.UpdateAPIKey(ctx, cur, 0); err != nil {
			return Change{}, err
		}
		changed = true
	}
	for _, v := range []struct{ which, value string }{{storage.KeyPrimary, def.PrimaryKey},
		{storage.KeySecondary, def.SecondaryKey}} {
		if v.value == "" {
			continue
		}
		_, c, err := tx.SetAPIKeyValue(ctx, def.Name, v.which, v.value)
		if err != nil {
			return Change{}, err
		}
		changed = changed || c
	}
	if changed {
		return Change{Object: object, Action: "updated"}, nil
	}
	return Change{Object: object, Action: "unchanged"}, nil
}

// wantedStage is a stage connection the file lists for a plan, resolved.
type wantedStage struct {
	where     string
	serviceID string
	svcName   string
	stage     string
	keys      []string
}

// planStageID names a stage across plans.
type planStageID struct{ serviceID, stage string }

func applyUsagePlans(ctx context.Context, tx *storage.Tx, defs []UsagePlan, res *Result) error {
	wanted := make([][]wantedStage, len(defs))
	owner := map[planStageID]map[string]string{} // stage → key → plan the file puts it in
	seen := map[string]int{}
	for i, def := range defs {
		where := fmt.Sprintf("usagePlans[%d]", i)
		if j, dup := seen[def.Name]; dup {
			return storage.Invalid(where+".name", "usage plan %q is already defined at usagePlans[%d]", def.Name, j)
		}
		seen[def.Name] = i
		ws, err := resolvePlanStages(ctx, tx, where, def, owner)
		if err != nil {
			return err
		}
		wanted[i] = ws
	}
	// The plans themselves first, so keys can move between them.
	for i, def := range defs {
		c, err := applyPlan(ctx, tx, def)
		if err != nil {
			return withField(err, fmt.Sprintf("usagePlans[%d]", i))
		}
		res.Changes = append(res.Changes, c)
	}
	// Connections the file no longer lists go first (unless the key moves to another plan of the file), then new
	// stages, then keys (connected or moved), then stages left without a place in the file.
	for i, def := range defs {
		if err := removeUnlistedKeys(ctx, tx, def.Name, wanted[i], owner, res); err != nil {
			return withField(err, fmt.Sprintf("usagePlans[%d].stages", i))
		}
	}
	for i, def := range defs {
		for _, ws := range wanted[i] {
			if err := connectStage(ctx, tx, def.Name, ws, res); err != nil {
				return withField(err, ws.where)
			}
		}
	}
	for i, def := range defs {
		for _, ws := range wanted[i] {
			for k, key := range ws.keys {
				if err := connectKey(ctx, tx, def.Name, ws, key, res); err != nil {
					return withField(err, fmt.Sprintf("%s.apiKeys[%d]", ws.where, k))
				}
			}
		}
	}
	for i, def := range defs {
		if err := removeUnlistedStages(ctx, tx, def.Name, wanted[i], res); err != nil {
			return withField(err, fmt.Sprintf("usagePlans[%d].stages", i))
		}
	}
	return nil
}

func withField(err error, where string) error {
	if se, ok := storage.AsError(err); ok {
		return se.WithField(where)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// resolvePlanStages resolves the stages a plan lists and checks the file's own rules: a stage once per plan, and
// a key in one plan per stage.
func resolvePlanStages(ctx context.Context, tx *storage.Tx, where string, def UsagePlan,
	owner map[planStageID]map[string]string) ([]wantedStage, error) {
	var out []wantedStage
	stages := map[planStageID]bool{}
	for j, ps := range def.Stages {
		w := fmt.Sprintf("%s.stages[%d]", where, j)
		if ps.Service == "" {
			return nil, storage.Invalid(w+".service", "name the service (ID or name) of the stage")
		}
		svc, err := tx.GetService(ctx, ps.Service)
		if err != nil {
			return nil, storage.Invalid(w+".service", "service %q is not defined", ps.Service)
		}
		st, err := tx.GetStage(ctx, svc.ID, ps.Stage)
		if err != nil {
			return nil, storage.Invalid(w+".stage", "service %s has no stage %s", svc.Name, stageLabel(ps.Stage))
		}
		id := planStageID{svc.ID, st.Name}
		if stages[id] {
			return nil, storage.Invalid(w, "stage %s/%s is listed twice", svc.Name, stageLabel(st.Name))
		}
		stages[id] = true
		if owner[id] == nil {
			owner[id] = map[string]string{}
		}
		keys := map[string]bool{}
		for k, key := range ps.APIKeys {
			if keys[key] {
				return nil, storage.Invalid(fmt.Sprintf("%s.apiKeys[%d]", w, k), "API key %q is listed twice", key)
			}
			keys[key] = true
			if other, ok := owner[id][key]; ok {
				return nil, storage.Invalid(fmt.Sprintf("%s.apiKeys[%d]", w, k), "API key %q is already listed for "+
					"stage %s/%s in usage plan %q: a key is in one plan per stage", key, svc.Name,
					stageLabel(st.Name), other)
			}
			owner[id][key] = def.Name
		}
		out = append(out, wantedStage{where: w, serviceID: svc.ID, svcName: svc.Name, stage: st.Name,
			keys: ps.APIKeys})
	}
	return out, nil
}

func applyPlan(ctx context.Context, tx *storage.Tx, def UsagePlan) (Change, error) {
	object := "usagePlan " + def.Name
	want := storage.UsagePlan{Name: def.Name, Description: def.Description, RPS: def.RPS,
		QuotaPeriod: storage.QuotaNone}
	if def.Quota != nil {
		want.QuotaPeriod = strings.ToUpper(def.Quota.Period)
		want.QuotaLimit = def.Quota.Limit
	}
	cur, err := tx.GetUsagePlan(ctx, def.Name)
	if se, ok := storage.AsError(err); ok && se.Kind == storage.KindNotFound {
		if _, err := tx.CreateUsagePlan(ctx, want); err != nil {
			return Change{}, quotaField(err)
		}
		return Change{Object: object, Action: "created"}, nil
	}
	if err != nil {
		return Change{}, err
	}
	want.ID = cur.ID
	p, err := tx.UpdateUsagePlan(ctx, want, 0)
	if err != nil {
		return Change{}, quotaField(err)
	}
	if p.Version != cur.Version {
		return Change{Object: object, Action: "updated"}, nil
	}
	return Change{Object: object, Action: "unchanged"}, nil
}

// quotaField maps the store's field names onto the file's (quota: {period, limit}).
func quotaField(err error) error {
	se, ok := storage.AsError(err)
	if !ok {
		return err
	}
	c := *se
	switch c.Field {
	case "quotaPeriod":
		c.Field = "quota.period"
	case "quotaLimit":
		c.Field = "quota.limit"
	}
	return &c
}

func listed(ws []wantedStage, serviceID, stage string) (wantedStage, bool) {
	for _, w := range ws {
		if w.serviceID == serviceID && w.stage == stage {
			return w, true
		}
	}
	return wantedStage{}, false
}

func keyObject(key, plan, svc, stage string) string {
	return fmt.Sprintf("apiKey %s in usagePlan %s on %s/%s", key, plan, svc, stageLabel(stage))
}

func stageObject(plan, svc, stage string) string {
	return fmt.Sprintf("stage %s/%s of usagePlan %s", svc, stageLabel(stage), plan)
}

// removeUnlistedKeys disconnects the plan's keys the file does not list, except those the file moves to another
// plan on the same stage (connectKey moves them).
func removeUnlistedKeys(ctx context.Context, tx *storage.Tx, plan string, ws []wantedStage,
	owner map[planStageID]map[string]string, res *Result) error {
	cur, err := tx.GetUsagePlan(ctx, plan)
	if err != nil {
		return err
	}
	for _, ps := range cur.Stages {
		w, _ := listed(ws, ps.ServiceID, ps.StageName)
		for _, k := range ps.APIKeys {
			if contains(w.keys, k.Name) {
				continue
			}
			if _, moves := owner[planStageID{ps.ServiceID, ps.StageName}][k.Name]; moves {
				continue
			}
			if err := tx.DisconnectKey(ctx, plan, ps.ServiceID, ps.StageName, k.Name, 0); err != nil {
				return err
			}
			res.Changes = append(res.Changes, Change{Object: keyObject(k.Name, plan, serviceName(ctx, tx,
				ps.ServiceID), ps.StageName), Action: actionRemoved})
		}
	}
	return nil
}

func connectStage(ctx context.Context, tx *storage.Tx, plan string, ws wantedStage, res *Result) error {
	object := stageObject(plan, ws.svcName, ws.stage)
	_, err := tx.PlanStage(ctx, plan, ws.serviceID, ws.stage)
	if err == nil {
		res.Changes = append(res.Changes, Change{Object: object, Action: "unchanged"})
		return nil
	}
	if se, ok := storage.AsError(err); !ok || se.Kind != storage.KindNotFound {
		return err
	}
	if _, err := tx.ConnectStage(ctx, plan, ws.serviceID, ws.stage, 0); err != nil {
		return err
	}
	res.Changes = append(res.Changes, Change{Object: object, Action: "created"})
	return nil
}

func connectKey(ctx context.Context, tx *storage.Tx, plan string, ws wantedStage, key string, res *Result) error {
	object := keyObject(key, plan, ws.svcName, ws.stage)
	k, err := tx.GetAPIKey(ctx, key)
	if err != nil {
		return storage.Invalid("", "API key %q is not defined: add it to apiKeys", key)
	}
	var from string
	for _, c := range k.Connections {
		if c.ServiceID == ws.serviceID && c.StageName == ws.stage {
			from = c.PlanName
		}
	}
	switch from {
	case plan:
		res.Changes = append(res.Changes, Change{Object: object, Action: "unchanged"})
		return nil
	case "":
		_, err = tx.ConnectKey(ctx, plan, ws.serviceID, ws.stage, key, 0)
	default:
		_, err = tx.MoveKey(ctx, from, ws.serviceID, ws.stage, key, plan, 0)
	}
	if err != nil {
		return err
	}
	action := "created"
	if from != "" {
		action = "updated"
	}
	res.Changes = append(res.Changes, Change{Object: object, Action: action})
	return nil
}

// removeUnlistedStages disconnects the stages of the plan the file does not list (their keys are gone by now).
func removeUnlistedStages(ctx context.Context, tx *storage.Tx, plan string, ws []wantedStage, res *Result) error {
	cur, err := tx.GetUsagePlan(ctx, plan)
	if err != nil {
		return err
	}
	for _, ps := range cur.Stages {
		if _, ok := listed(ws, ps.ServiceID, ps.StageName); ok {
			continue
		}
		if err := tx.DisconnectStage(ctx, plan, ps.ServiceID, ps.StageName, 0); err != nil {
			return err
		}
		res.Changes = append(res.Changes, Change{Object: stageObject(plan, serviceName(ctx, tx, ps.ServiceID),
			ps.StageName), Action: actionRemoved})
	}
	return nil
}

// serviceName names a service by its name in change lines (its ID if it cannot be read).
func serviceName(ctx context.Context, tx *storage.Tx, id string) string {
	if svc, err := tx.GetService(ctx, id); err == nil {
		return svc.Name
	}
	return id
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// exportAPIKeys writes every key without its values (the store has only their digests).
func exportAPIKeys(ctx context.Context, tx *storage.Tx, doc *Document) error {
	keys, err := tx.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		doc.APIKeys = append(doc.APIKeys, APIKey{Name: k.Name, Description: k.Description, Status: k.Status})
	}
	return nil
}

// exportUsagePlans writes every plan with its stages and keys; services are named as the file names them.
func exportUsagePlans(ctx context.Context, tx *storage.Tx, doc *Document) error {
	plans, err := tx.ListUsagePlans(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	services, err := tx.ListServices(ctx)
	if err != nil {
		return err
	}
	for _, s := range services {
		names[s.ID] = s.Name
	}
	for _, p := range plans {
		out := UsagePlan{Name: p.Name, Description: p.Description, RPS: p.RPS}
		if p.QuotaPeriod != storage.QuotaNone {
			out.Quota = &Quota{Period: p.QuotaPeriod, Limit: p.QuotaLimit}
		}
		for _, ps := range p.Stages {
			st := PlanStage{Service: names[ps.ServiceID], Stage: ps.StageName}
			for _, k := range ps.APIKeys {
				st.APIKeys = append(st.APIKeys, k.Name)
			}
			sort.Strings(st.APIKeys)
			out.Stages = append(out.Stages, st)
		}
		doc.UsagePlans = append(doc.UsagePlans, out)
	}
	return nil
}
