package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/portico-gateway/portico/storage"
)

// The resource tree has no version of its own: its ETag is a digest of its content, entity versions included, so any
// change to a path, method or plugin changes it. PUT honours If-Match with that ETag.

func (s *Server) getTree(w http.ResponseWriter, r *http.Request) error {
	var tree storage.ResourceTree
	err := s.view(r.Context(), func(tx *storage.Tx) error {
		id, err := service(r, tx)
		if err != nil {
			return err
		}
		tree, err = tx.ResourceTree(r.Context(), id)
		return err
	})
	if err != nil {
		return err
	}
	return writeTree(w, tree)
}

// replaceTree replaces the service's whole tree with the body (as a Swagger import or a declarative apply does).
func (s *Server) replaceTree(w http.ResponseWriter, r *http.Request) error {
	tag, err := ifMatchTag(r)
	if err != nil {
		return err
	}
	var in storage.ResourceTree
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var tree storage.ResourceTree
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		id, err := service(r, tx)
		if err != nil {
			return err
		}
		if tag != "" {
			cur, err := tx.ResourceTree(r.Context(), id)
			if err != nil {
				return err
			}
			if now, err := treeETag(cur); err != nil {
				return err
			} else if now != tag {
				return &storage.Error{Kind: storage.KindStale, Code: storage.CodeVersionMismatch,
					Message: "the resource tree changed since it was read (its ETag is now " + now + ", not " + tag +
						"): read it again and retry"}
			}
		}
		if err := tx.ReplaceTree(r.Context(), id, in); err != nil {
			return err
		}
		tree, err = tx.ResourceTree(r.Context(), id)
		return err
	})
	if err != nil {
		return err
	}
	return writeTree(w, tree)
}

func writeTree(w http.ResponseWriter, tree storage.ResourceTree) error {
	if tree.Resources == nil {
		tree.Resources = []storage.Resource{}
	}
	tag, err := treeETag(tree)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", tag)
	writeJSON(w, http.StatusOK, tree)
	return nil
}

// treeETag is the content ETag of a resource tree.
func treeETag(tree storage.ResourceTree) (string, error) {
	if tree.Resources == nil {
		tree.Resources = []storage.Resource{}
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return `"t-` + hex.EncodeToString(sum[:12]) + `"`, nil
}

func (s *Server) createResource(w http.ResponseWriter, r *http.Request) error {
	var in ResourceInput
	if err := s.decode(r, &in, false); err != nil {
		return err
	}
	var res storage.Resource
	err := s.update(r.Context(), func(tx *storage.Tx) error {
		id, err := service(r, tx)
		if err != nil {
			return err
		}
		res, err = tx.CreateResource(r.Context(), id, in.Path)
		return err
	})
	if err != nil {
		return err
	}
	created(w, "/v1/services/"+res.ServiceID+"/resources/"+strconv.FormatInt(res.ID, 10), res.Version, res)
	return nil
}

func (s *Server) getResource(w http.ResponseWriter, r *http.Request) error {
	rid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var res storage.Resource
	err = s.view(r.Context(), func(tx *storage.Tx) error {
		id, err := service(r, tx)
		if err != nil {
			return err
		}
		res, err = tx.GetResource(r.Context(), id, rid)
		return err
	})
	if err != nil {
		return err
	}
	writeEntity(w, http.StatusOK, res.Version, res)
	return nil
}

// deleteResource removes a path with everything below it.
func (s *Server) deleteResource(w http.ResponseWriter, r *http.Request) error {
	rid, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ver, err := ifMatch(r)
	if err != nil {
		return err
	}
	err = s.update(r.Context(), func(tx *storage.Tx) error {
		id, err := service(r, tx)
		if err != nil {
			return err
		}
		return tx.DeleteResource(r.Context(), id, rid, ver)
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}
