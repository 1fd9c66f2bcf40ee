package admin

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/portico-gateway/portico/storage"
)

func (s *Server) createMethod(w http.ResponseWriter, r *http.Request) error {
	rid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in MethodInput
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var m storage.Method
	var svcID string
	err = s.update(r.Context(), func(tx *storage.Tx) (err error) {
		if svcID, err = service(r, tx); err != nil {
			return err
		}
		m, err = tx.CreateMethod(r.Context(), svcID, rid, storage.Method{
			HTTPMethod:  in.Method,
			Name:        in.Name,
			Description: in.Description,
			Backend:     in.Backend,
		})
		return err
	})
	if err != nil {
		return err
	}
	created(w, "/v1/services/"+svcID+"/methods/"+strconv.FormatInt(m.ID, 10), m.Version, m)
	return nil
}

func (s *Server) getMethod(w http.ResponseWriter, r *http.Request) error {
	mid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var m storage.Method
	err = s.view(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		m, err = tx.GetMethod(r.Context(), svcID, mid)
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, m.Version, m)
	return nil
}

func (s *Server) patchMethod(w http.ResponseWriter, r *http.Request) error {
	mid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var p MethodPatch
	if err := s.decode(r, &p, false); err != nil {
		return err
	}
	var m storage.Method
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		cur, err := tx.GetMethod(r.Context(), svcID, mid)
		if err != nil {
			return err
		}
		if err := p.apply(&cur); err != nil {
			return err
		}
		m, err = tx.UpdateMethod(r.Context(), svcID, cur, ver)
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, m.Version, m)
	return nil
}

// apply overlays the patch onto m.
func (p MethodPatch) apply(m *storage.Method) error {
	if p.Method != nil && !strings.EqualFold(*p.Method, m.HTTPMethod) {
		return storage.Invalid("method", "the HTTP method of a method cannot change (it is %s): delete the method "+
			"and create %s anew", m.HTTPMethod, strings.ToUpper(*p.Method))
	}
	if p.Name != nil {
		m.Name = *p.Name
	}
	if p.Description != nil {
		m.Description = *p.Description
	}
	if b := p.Backend; b != nil {
		if b.Type != nil {
			m.Backend.Type = *b.Type
		}
		if b.Path != nil {
			m.Backend.Path = *b.Path
		}
		if b.Status != nil {
			m.Backend.Status = *b.Status
		}
		if b.Headers != nil {
			m.Backend.Headers = *b.Headers
		}
		if b.Body != nil {
			m.Backend.Body = *b.Body
		}
	}
	return nil
}

func (s *Server) deleteMethod(w http.ResponseWriter, r *http.Request) error {
	mid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		return tx.DeleteMethod(r.Context(), svcID, mid, ver)
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}
