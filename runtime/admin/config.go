package admin

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/portico-gateway/portico/config"
	"github.com/portico-gateway/portico/storage"
)

// errDryRun rolls back the transaction of a dry-run apply after its changes were computed.
var errDryRun = errors.New("dry run")

// applyConfig applies a declarative document (the YAML file of `portico apply`, sent as JSON) in one transaction.
// With ?dryRun=true the changes are computed and rolled back.
func (s *Server) applyConfig(w http.ResponseWriter, r *http.Request) error {
	dryRun := false
	if v := r.URL.Query().Get("dryRun"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest(codeInvalidArgument, "dryRun", "dryRun must be true or false")
		}
		dryRun = b
	}
	var doc config.Document
	if err := s.decode(r, &doc, false); err != nil {
		return err
	}
	var res config.Result
	var opts config.Options
	if v, ok := s.rt.(ModuleValidator); ok {
		opts.ValidateModule = v.ValidateModule
	}
	err := s.update(r.Context(), func(tx *storage.Tx) error {
		var err error
		if res, err = config.Apply(r.Context(), tx, &doc, opts); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return err
	}
	res.DryRun = dryRun
	if res.Changes == nil {
		res.Changes = []config.Change{}
	}
	// API keys and usage plans: values generated in a dry run were rolled back; a real apply reaches the gateway's
	// key table at once.
	if dryRun {
		res.GeneratedKeys = nil
	} else if err := s.reloadKeys(r, "applying the configuration"); err != nil {
		return err
	}
	if len(res.GeneratedKeys) > 0 {
		w.Header().Set("Cache-Control", "no-store")
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// exportConfig returns every service, resource tree and stage as a declarative document (secrets redacted).
func (s *Server) exportConfig(w http.ResponseWriter, r *http.Request) error {
	var doc *config.Document
	err := s.view(r.Context(), func(tx *storage.Tx) error {
		var err error
		doc, err = config.Export(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}
