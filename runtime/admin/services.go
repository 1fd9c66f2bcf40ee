package admin

import (
	"net/http"

	"github.com/portico-gateway/portico/storage"
)

func (s *Server) listServices(w http.ResponseWriter, r *http.Request) error {
	var list []storage.Service
	err := s.view(r.Context(), func(tx *storage.Tx) (err error) {
		list, err = tx.ListServices(r.Context())
		return err
	})
	if err != nil {
		return err
	}
	if list == nil {
		list = []storage.Service{}
	}
	writeJSON(w, http.StatusOK, ServiceList{Services: list})
	return nil
}

func (s *Server) createService(w http.ResponseWriter, r *http.Request) error {
	var in ServiceInput
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var svc storage.Service
	err := s.update(r.Context(), func(tx *storage.Tx) (err error) {
		svc, err = tx.CreateService(r.Context(), storage.Service{Name: in.Name, Description: in.Description})
		return err
	})
	if err != nil {
		return err
	}
	created(w, "/v1/services/"+svc.ID, svc.Version, svc)
	return nil
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request) error {
	var svc storage.Service
	err := s.view(r.Context(), func(tx *storage.Tx) (err error) {
		svc, err = tx.GetService(r.Context(), r.PathValue("svc"))
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, svc.Version, svc)
	return nil
}

func (s *Server) patchService(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var p ServicePatch
	if err := s.decode(r, &p, false); err != nil {
		return err
	}
	var svc storage.Service
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		cur, err := tx.GetService(r.Context(), r.PathValue("svc"))
		if err != nil {
			return err
		}
		if p.Name != nil {
			cur.Name = *p.Name
		}
		if p.Description != nil {
			cur.Description = *p.Description
		}
		svc, err = tx.UpdateService(r.Context(), cur, ver)
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, svc.Version, svc)
	return nil
}

// deleteService removes a service with its tree, stages and history; the gateway stops serving its stages.
func (s *Server) deleteService(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var id string
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svc, err := tx.GetService(r.Context(), r.PathValue("svc"))
		if err != nil {
			return err
		}
		id = svc.ID
		return tx.DeleteService(r.Context(), svc.ID, ver)
	})
	if err != nil {
		return err
	}
	if err := s.reload(r, "deleting service "+id); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// service resolves the {svc} path value (an ID or a name) to the service's ID.
func service(r *http.Request, tx *storage.Tx) (string, error) {
	svc, err := tx.GetService(r.Context(), r.PathValue("svc"))
	if err != nil {
		return "", err
	}
	return svc.ID, nil
}
