package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/portico-gateway/portico/storage"
)

// AuthorHeader names the person or tool behind a deploy; without it the author is DefaultAuthor.
const (
	AuthorHeader  = "X-Portico-Author"
	DefaultAuthor = "admin"
	maxAuthor     = 100 // characters, storage's limit: a longer header is cut, not refused
)

// deploy snapshots the stage and makes it live. The runtime compiles the snapshot inside the transaction (a bad
// plugin config fails the deploy and writes nothing), and reloads after the commit.
func (s *Server) deploy(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in DeployRequest
	if err := s.decode(r, &in, true); err != nil {
		return err
	}
	var checkErr error
	check := func(snap storage.Snapshot) error {
		checkErr = s.rt.Check(snap)
		return checkErr
	}
	name := stageParam(r)
	var d storage.Deployment
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		if err := checkStage(r, tx, svcID, ver); err != nil {
			return err
		}
		if in.ApplyResources {
			if _, _, err := tx.ApplyResources(r.Context(), svcID, name); err != nil {
				return err
			}
		}
		d, err = tx.Deploy(r.Context(), svcID, name, in.Description, author(r), check)
		return err
	})
	if checkErr != nil {
		return deployCheckError(checkErr)
	}
	if err != nil {
		return err
	}
	if err := s.reload(r, "deployment "+strconv.FormatInt(d.ID, 10)); err != nil {
		return err
	}
	// Deployments are immutable and have no version, so no ETag.
	w.Header().Set("Location", deploymentLocation(d))
	writeJSON(w, http.StatusCreated, d)
	return nil
}

// deployCheckError answers a snapshot the runtime refused: the runtime's own message, which names the path, method
// and field at fault.
func deployCheckError(err error) error {
	if se, ok := storage.AsError(err); ok && se.Kind == storage.KindInvalid {
		return se
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return badRequest(codeDeployCheckFailed, "", "the deployment was refused and nothing was recorded: "+err.Error())
}

// author returns who deploys: the X-Portico-Author header, or DefaultAuthor.
func author(r *http.Request) string {
	a := strings.TrimSpace(r.Header.Get(AuthorHeader))
	if a == "" {
		return DefaultAuthor
	}
	a = strings.Map(func(c rune) rune {
		if c < ' ' || c == 0x7f {
			return -1
		}
		return c
	}, a)
	if r := []rune(a); len(r) > maxAuthor {
		a = string(r[:maxAuthor])
	}
	return a
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) error {
	var list []storage.Deployment
	err := s.view(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		list, err = tx.ListDeployments(r.Context(), svcID, stageParam(r))
		return err
	})
	if err != nil {
		return err
	}
	if list == nil {
		list = []storage.Deployment{}
	}
	for i := range list {
		list[i].Snapshot = nil // history is a list; GET one deployment for its snapshot
	}
	writeJSON(w, http.StatusOK, DeploymentList{Deployments: list})
	return nil
}

func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request) error {
	did, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var d storage.Deployment
	err = s.view(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		d, err = tx.GetDeployment(r.Context(), svcID, stageParam(r), did)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// deleteDeployment removes a history entry. Deployments are immutable and have no version: If-Match is only checked
// for form.
func (s *Server) deleteDeployment(w http.ResponseWriter, r *http.Request) error {
	did, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := ifMatch(r); err != nil {
		return err
	}
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		return tx.DeleteDeployment(r.Context(), svcID, stageParam(r), did)
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}

// rollback copies a deployment back into the stage's editable state. It doesn't change what is served: deploy does.
// If-Match, when given, must name the stage's version.
func (s *Server) rollback(w http.ResponseWriter, r *http.Request) error {
	did, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var st storage.Stage
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		if err := checkStage(r, tx, svcID, ver); err != nil {
			return err
		}
		st, err = tx.Rollback(r.Context(), svcID, stageParam(r), did)
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, st.Version, st)
	return nil
}

func deploymentLocation(d storage.Deployment) string {
	return "/v1/services/" + d.ServiceID + "/stages/" + url.PathEscape(stageURLName(d.StageName)) +
		"/deployments/" + strconv.FormatInt(d.ID, 10)
}
