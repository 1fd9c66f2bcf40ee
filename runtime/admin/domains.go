package admin

import (
	"net/http"
	"net/url"

	"github.com/portico-gateway/portico/storage"
)

func (s *Server) listDomains(w http.ResponseWriter, r *http.Request) error {
	var list []storage.Domain
	err := s.view(r.Context(), func(tx *storage.Tx) (err error) {
		list, err = tx.ListDomains(r.Context())
		return err
	})
	if err != nil {
		return err
	}
	if list == nil {
		list = []storage.Domain{}
	}
	writeJSON(w, http.StatusOK, DomainList{Domains: list})
	return nil
}

// createDomain maps a custom host to a stage; the gateway starts answering on it.
func (s *Server) createDomain(w http.ResponseWriter, r *http.Request) error {
	var in DomainInput
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var d storage.Domain
	err := s.update(r.Context(), func(tx *storage.Tx) error {
		if in.ServiceID == "" {
			return storage.Invalid("serviceId", "a domain needs the service (ID or name) it maps to")
		}
		svc, err := tx.GetService(r.Context(), in.ServiceID)
		if err != nil {
			if se, ok := storage.AsError(err); ok && se.Kind == storage.KindNotFound {
				return storage.Invalid("serviceId", "%s", se.Message) // a bad reference in the body: 400, not 404
			}
			return err
		}
		d, err = tx.CreateDomain(r.Context(), storage.Domain{
			Host:      in.Host,
			ServiceID: svc.ID,
			StageName: in.StageName,
			BasePath:  in.BasePath,
		})
		return err
	})
	if err != nil {
		return err
	}
	if err := s.reload(r, "creating domain "+d.Host); err != nil {
		return err
	}
	created(w, "/v1/domains/"+url.PathEscape(d.Host), d.Version, d)
	return nil
}

// deleteDomain removes a custom host; the gateway stops answering on it.
func (s *Server) deleteDomain(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	host := r.PathValue("host")
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		return tx.DeleteDomain(r.Context(), host, ver)
	})
	if err != nil {
		return err
	}
	if err := s.reload(r, "deleting domain "+host); err != nil {
		return err
	}
	noContent(w)
	return nil
}
