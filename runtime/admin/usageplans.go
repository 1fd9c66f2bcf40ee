package admin

import (
	"net/http"
	"net/url"

	"github.com/portico-gateway/portico/storage"
)

// UsagePlanInput creates a usage plan. QuotaPeriod "" is NONE (no quota, QuotaLimit 0).
type UsagePlanInput struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	RPS         int    `json:"rps,omitempty"`
	QuotaPeriod string `json:"quotaPeriod,omitempty"`
	QuotaLimit  int64  `json:"quotaLimit,omitempty"`
}

// UsagePlanPatch changes a usage plan; the change applies to the gateway without a deploy. Setting quotaPeriod to
// NONE clears the limit and resets the usage of the plan's keys.
type UsagePlanPatch struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	RPS         *int    `json:"rps,omitempty"`
	QuotaPeriod *string `json:"quotaPeriod,omitempty"`
	QuotaLimit  *int64  `json:"quotaLimit,omitempty"`
}

// UsagePlanList is the body of GET /v1/usageplans.
type UsagePlanList struct {
	UsagePlans []storage.UsagePlan `json:"usagePlans"`
}

// PlanStageInput connects a stage to a plan. Service is a service ID or name; Stage "" or "default" is the default
// stage.
type PlanStageInput struct {
	Service string `json:"service"`
	Stage   string `json:"stage"`
}

// PlanStageList is the body of GET /v1/usageplans/{plan}/stages.
type PlanStageList struct {
	Stages []storage.PlanStage `json:"stages"`
}

// PlanKeyInput connects an API key (name or ID) to a plan on a stage.
type PlanKeyInput struct {
	APIKey string `json:"apiKey"`
}

// PlanKeyList is the body of GET …/stages/{svc}/{stage}/apikeys.
type PlanKeyList struct {
	APIKeys []storage.PlanStageKey `json:"apiKeys"`
}

// MoveKeyRequest names the plan a key moves to on the stage.
type MoveKeyRequest struct {
	Plan string `json:"plan"`
}

func planLocation(p storage.UsagePlan) string { return "/v1/usageplans/" + url.PathEscape(p.Name) }

func (s *Server) listUsagePlans(w http.ResponseWriter, r *http.Request) error {
	var list []storage.UsagePlan
	if err := s.view(r.Context(), func(tx *storage.Tx) (err error) {
		list, err = tx.ListUsagePlans(r.Context())
		return err
	}); err != nil {
		return err
	}
	for i := range list {
		s.livePlanUsage(list[i].Stages)
	}
	writeJSON(w, http.StatusOK, UsagePlanList{UsagePlans: list})
	return nil
}

func (s *Server) createUsagePlan(w http.ResponseWriter, r *http.Request) error {
	var in UsagePlanInput
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var p storage.UsagePlan
	if err := s.update(r.Context(), func(tx *storage.Tx) (err error) {
		p, err = tx.CreateUsagePlan(r.Context(), storage.UsagePlan{Name: in.Name, Description: in.Description,
			RPS: in.RPS, QuotaPeriod: in.QuotaPeriod, QuotaLimit: in.QuotaLimit})
		return err
	}); err != nil {
		return err
	}
	created(w, planLocation(p), p.Version, p)
	return nil
}

func (s *Server) getUsagePlan(w http.ResponseWriter, r *http.Request) error {
	var p storage.UsagePlan
	if err := s.view(r.Context(), func(tx *storage.Tx) (err error) {
		p, err = tx.GetUsagePlan(r.Context(), r.PathValue("plan"))
		return err
	}); err != nil {
		return err
	}
	s.livePlanUsage(p.Stages)
	writeEntity(w, http.StatusOK, p.Version, p)
	return nil
}

func (s *Server) patchUsagePlan(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in UsagePlanPatch
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var p storage.UsagePlan
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		cur, err := tx.GetUsagePlan(r.Context(), r.PathValue("plan"))
		if err != nil {
			return err
		}
		in.apply(&cur)
		p, err = tx.UpdateUsagePlan(r.Context(), cur, ver)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.reloadKeys(r, "changing usage plan "+p.Name); err != nil {
		return err
	}
	s.livePlanUsage(p.Stages)
	writeEntity(w, http.StatusOK, p.Version, p)
	return nil
}

// apply overlays the patch onto p. A period of NONE without a limit clears the limit.
func (in UsagePlanPatch) apply(p *storage.UsagePlan) {
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.RPS != nil {
		p.RPS = *in.RPS
	}
	if in.QuotaPeriod != nil {
		p.QuotaPeriod = *in.QuotaPeriod
		if (p.QuotaPeriod == "" || p.QuotaPeriod == storage.QuotaNone) && in.QuotaLimit == nil {
			p.QuotaLimit = 0
		}
	}
	if in.QuotaLimit != nil {
		p.QuotaLimit = *in.QuotaLimit
	}
}

func (s *Server) deleteUsagePlan(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := s.update(r.Context(), func(tx *storage.Tx) error {
		return tx.DeleteUsagePlan(r.Context(), r.PathValue("plan"), ver)
	}); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// planVersion reads the plan's version after a change of its connections (its ETag).
func planVersion(r *http.Request, tx *storage.Tx, ref string) (int64, error) {
	p, err := tx.GetUsagePlan(r.Context(), ref)
	return p.Version, err
}

func (s *Server) listPlanStages(w http.ResponseWriter, r *http.Request) error {
	var p storage.UsagePlan
	if err := s.view(r.Context(), func(tx *storage.Tx) (err error) {
		p, err = tx.GetUsagePlan(r.Context(), r.PathValue("plan"))
		return err
	}); err != nil {
		return err
	}
	s.livePlanUsage(p.Stages)
	writeEntity(w, http.StatusOK, p.Version, PlanStageList{Stages: p.Stages})
	return nil
}

// connectPlanStage connects a stage to the plan. If-Match names the plan's version.
func (s *Server) connectPlanStage(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in PlanStageInput
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var ps storage.PlanStage
	var version int64
	plan := r.PathValue("plan")
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		if in.Service == "" {
			return storage.Invalid("service", "name the service (ID or name) whose stage to connect")
		}
		svc, err := tx.GetService(r.Context(), in.Service)
		if err != nil {
			return inBody(err, "service")
		}
		if _, err := tx.GetStage(r.Context(), svc.ID, in.Stage); err != nil {
			return inBody(err, "stage")
		}
		if ps, err = tx.ConnectStage(r.Context(), plan, svc.ID, in.Stage, ver); err != nil {
			return err
		}
		version, err = planVersion(r, tx, plan)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.reloadKeys(r, "connecting "+stageLabel(ps.StageName)+" to usage plan "+plan); err != nil {
		return err
	}
	created(w, planLocation(storage.UsagePlan{Name: plan})+"/stages/"+url.PathEscape(ps.ServiceID)+"/"+
		url.PathEscape(stageURLName(ps.StageName)), version, ps)
	return nil
}

// inBody turns a not-found of an entity named in the request body into a 400 on that field.
func inBody(err error, field string) error {
	if se, ok := storage.AsError(err); ok && se.Kind == storage.KindNotFound {
		return storage.Invalid(field, "%s", se.Message)
	}
	return err
}

func (s *Server) disconnectPlanStage(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	plan := r.PathValue("plan")
	if err := s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		return tx.DisconnectStage(r.Context(), plan, svcID, stageParam(r), ver)
	}); err != nil {
		return err
	}
	if err := s.reloadKeys(r, "disconnecting "+stageLabel(stageParam(r))+" from usage plan "+plan); err != nil {
		return err
	}
	noContent(w)
	return nil
}

func (s *Server) listPlanKeys(w http.ResponseWriter, r *http.Request) error {
	var ps storage.PlanStage
	var version int64
	plan := r.PathValue("plan")
	if err := s.view(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		if ps, err = tx.PlanStage(r.Context(), plan, svcID, stageParam(r)); err != nil {
			return err
		}
		version, err = planVersion(r, tx, plan)
		return err
	}); err != nil {
		return err
	}
	s.livePlanUsage([]storage.PlanStage{ps})
	writeEntity(w, http.StatusOK, version, PlanKeyList{APIKeys: ps.APIKeys})
	return nil
}

// connectPlanKey connects an API key to the plan on the stage: the key may then call the stage. A key already in
// another plan on the stage is refused (409 key_in_other_plan naming it): move it instead.
func (s *Server) connectPlanKey(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in PlanKeyInput
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var ps storage.PlanStage
	var version int64
	plan := r.PathValue("plan")
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		if in.APIKey == "" {
			return storage.Invalid("apiKey", "name the API key (name or ID) to connect")
		}
		if _, err := tx.GetAPIKey(r.Context(), in.APIKey); err != nil {
			return inBody(err, "apiKey")
		}
		if ps, err = tx.ConnectKey(r.Context(), plan, svcID, stageParam(r), in.APIKey, ver); err != nil {
			return err
		}
		version, err = planVersion(r, tx, plan)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.reloadKeys(r, "connecting API key "+in.APIKey+" to usage plan "+plan); err != nil {
		return err
	}
	s.livePlanUsage([]storage.PlanStage{ps})
	created(w, r.URL.Path+"/"+url.PathEscape(in.APIKey), version, ps)
	return nil
}

func (s *Server) disconnectPlanKey(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	plan, key := r.PathValue("plan"), r.PathValue("key")
	if err := s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		return tx.DisconnectKey(r.Context(), plan, svcID, stageParam(r), key, ver)
	}); err != nil {
		return err
	}
	if err := s.reloadKeys(r, "disconnecting API key "+key+" from usage plan "+plan); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// moveKey moves a key to another plan connected to the same stage; DAY and MONTH plans keep its usage, NONE resets
// it. If-Match names the source plan's version; the answer is the stage connection of the new plan.
func (s *Server) moveKey(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in MoveKeyRequest
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var ps storage.PlanStage
	plan, key := r.PathValue("plan"), r.PathValue("key")
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		if in.Plan == "" {
			return storage.Invalid("plan", "name the usage plan to move the key to")
		}
		if _, err := tx.GetUsagePlan(r.Context(), in.Plan); err != nil {
			return inBody(err, "plan")
		}
		ps, err = tx.MoveKey(r.Context(), plan, svcID, stageParam(r), key, in.Plan, ver)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.reloadKeys(r, "moving API key "+key+" to usage plan "+in.Plan); err != nil {
		return err
	}
	s.livePlanUsage([]storage.PlanStage{ps})
	writeJSON(w, http.StatusOK, ps)
	return nil
}

// livePlanUsage replaces stored quota counts with the gateway's live ones.
func (s *Server) livePlanUsage(stages []storage.PlanStage) {
	for i := range stages {
		for j := range stages[i].APIKeys {
			k := &stages[i].APIKeys[j]
			s.liveQuota(&k.Quota, k.ID, stages[i].StageID)
		}
	}
}
