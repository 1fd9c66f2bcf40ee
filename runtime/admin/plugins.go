package admin

import (
	"context"
	"net/http"
	"strconv"

	"github.com/portico-gateway/portico/storage"
)

func (s *Server) addResourcePlugin(w http.ResponseWriter, r *http.Request) error {
	return s.addPlugin(w, r, func(ctx context.Context, tx *storage.Tx, svcID string, id int64,
		p storage.PluginBinding) (storage.PluginBinding, error) {
		return tx.AddResourcePlugin(ctx, svcID, id, p)
	})
}

func (s *Server) addMethodPlugin(w http.ResponseWriter, r *http.Request) error {
	return s.addPlugin(w, r, func(ctx context.Context, tx *storage.Tx, svcID string, id int64,
		p storage.PluginBinding) (storage.PluginBinding, error) {
		return tx.AddMethodPlugin(ctx, svcID, id, p)
	})
}

// addPlugin attaches the body's plugin to the resource or method {id} with add.
func (s *Server) addPlugin(w http.ResponseWriter, r *http.Request, add func(context.Context, *storage.Tx, string,
	int64, storage.PluginBinding) (storage.PluginBinding, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in PluginInput
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var p storage.PluginBinding
	var svcID string
	err = s.update(r.Context(), func(tx *storage.Tx) (err error) {
		if svcID, err = service(r, tx); err != nil {
			return err
		}
		p, err = add(r.Context(), tx, svcID, id, storage.PluginBinding{
			Type:             in.Type,
			Phase:            in.Phase,
			OverrideChildren: in.OverrideChildren,
			Config:           in.Config,
		})
		return err
	})
	if err != nil {
		return err
	}
	created(w, "/v1/services/"+svcID+"/plugins/"+strconv.FormatInt(p.ID, 10), p.Version, p)
	return nil
}

func (s *Server) getPlugin(w http.ResponseWriter, r *http.Request) error {
	pid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p storage.PluginBinding
	err = s.view(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		p, err = tx.GetPlugin(r.Context(), svcID, pid)
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, p.Version, p)
	return nil
}

func (s *Server) patchPlugin(w http.ResponseWriter, r *http.Request) error {
	pid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	var in PluginPatch
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var p storage.PluginBinding
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		svcID, err := service(r, tx)
		if err != nil {
			return err
		}
		cur, err := tx.GetPlugin(r.Context(), svcID, pid)
		if err != nil {
			return err
		}
		if in.Type != nil {
			cur.Type = *in.Type
		}
		if in.Phase != nil {
			cur.Phase = *in.Phase
		}
		if in.OverrideChildren != nil {
			cur.OverrideChildren = *in.OverrideChildren
		}
		if in.Config != nil {
			cur.Config = *in.Config
		}
		p, err = tx.UpdatePlugin(r.Context(), svcID, cur, ver)
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, p.Version, p)
	return nil
}

func (s *Server) deletePlugin(w http.ResponseWriter, r *http.Request) error {
	pid, err := pathID(r, "id")
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
		return tx.DeletePlugin(r.Context(), svcID, pid, ver)
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}
