package admin

import (
	"net/http"
	"net/url"

	"github.com/portico-gateway/portico/storage"
)

func (s *Server) listStages(w http.ResponseWriter, r *http.Request) error {
	var list []storage.Stage
	err := s.view(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		list, err = tx.ListStages(r.Context(), svcID)
		return err
	})
	if err != nil {
		return err
	}
	if list == nil {
		list = []storage.Stage{}
	}
	writeJSON(w, http.StatusOK, StageList{Stages: list})
	return nil
}

func (s *Server) createStage(w http.ResponseWriter, r *http.Request) error {
	var in StageInput
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	if in.Name == DefaultStage {
		return storage.Invalid("name", "%q is reserved: URLs use it for the default stage, whose name is empty; "+
			"choose another name, or leave the name empty to create the default stage", DefaultStage)
	}
	var st storage.Stage
	err := s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		st, err = tx.CreateStage(r.Context(), storage.Stage{
			ServiceID:   svcID,
			Name:        in.Name,
			Description: in.Description,
			BackendURL:  in.BackendURL,
			Settings:    in.Settings,
		})
		return err
	})
	if err != nil {
		return err
	}
	created(w, stageLocation(st), st.Version, st)
	return nil
}

func (s *Server) getStage(w http.ResponseWriter, r *http.Request) error {
	var st storage.Stage
	err := s.view(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		st, err = tx.GetStage(r.Context(), svcID, stageParam(r))
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, st.Version, st)
	return nil
}

func (s *Server) patchStage(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var p StagePatch
	if err := s.decode(r, &p, false); err != nil {
		return err
	}
	var st storage.Stage
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		cur, err := tx.GetStage(r.Context(), svcID, stageParam(r))
		if err != nil {
			return err
		}
		if err := p.apply(&cur); err != nil {
			return err
		}
		st, err = tx.UpdateStage(r.Context(), cur, ver)
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, st.Version, st)
	return nil
}

// apply overlays the patch onto st; settings merge per path.
func (p StagePatch) apply(st *storage.Stage) error {
	if p.Name != nil && *p.Name != st.Name && !(st.Name == "" && *p.Name == DefaultStage) {
		return storage.Invalid("name", "a stage cannot be renamed (it is %q): create a new stage instead", st.Name)
	}
	if p.Description != nil {
		st.Description = *p.Description
	}
	if p.BackendURL != nil {
		st.BackendURL = *p.BackendURL
	}
	if p.Settings != nil {
		merged := make(storage.StageSettings, len(st.Settings)+len(p.Settings))
		for path, ps := range st.Settings {
			merged[path] = ps
		}
		for path, ps := range p.Settings {
			if ps == nil {
				delete(merged, path)
			} else {
				merged[path] = *ps
			}
		}
		st.Settings = merged
	}
	return nil
}

// deleteStage removes a stage and its history; the gateway stops serving it.
func (s *Server) deleteStage(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	name := stageParam(r)
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		return tx.DeleteStage(r.Context(), svcID, name, ver)
	})
	if err != nil {
		return err
	}
	if err := s.reload(r, "deleting "+stageLabel(name)); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// applyResources copies the service's current tree into the stage. If-Match, when given, must name the stage's
// version.
func (s *Server) applyResources(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var res ApplyResult
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		if err := checkStage(r, tx, svcID, ver); err != nil {
			return err
		}
		res.Stage, res.Changed, err = tx.ApplyResources(r.Context(), svcID, stageParam(r))
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, res.Stage.Version, res)
	return nil
}

// checkStage fails with a Stale error when ver is set and the URL's stage is at another version.
func checkStage(r *http.Request, tx *storage.Tx, svcID string, ver int64) error {
	if ver == 0 {
		return nil
	}
	st, err := tx.GetStage(r.Context(), svcID, stageParam(r))
	if err != nil {
		return err
	}
	if st.Version != ver {
		return storage.Stale(stageLabel(st.Name), st.Version, ver)
	}
	return nil
}

// stageLabel names a stage in messages.
func stageLabel(name string) string {
	if name == "" {
		return "the default stage"
	}
	return "stage " + name
}

func stageLocation(st storage.Stage) string {
	return "/v1/services/" + st.ServiceID + "/stages/" + url.PathEscape(stageURLName(st.Name))
}
