package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/portico-gateway/portico/storage"
)

// ModuleValidator is implemented by a Runtime that can check a WASM module (imports, exports) before it is stored.
type ModuleValidator interface {
	ValidateModule(ctx context.Context, wasm []byte) error
}

// ModuleList is the body of GET /v1/modules.
type ModuleList struct {
	Modules []storage.Module `json:"modules"`
}

// ModuleUpload is the body of PUT /v1/modules/{name}.
type ModuleUpload struct {
	Module  storage.Module `json:"module"`
	Created bool           `json:"created"`
}

const codeInvalidModule = "invalid_module"

func (s *Server) listModules(w http.ResponseWriter, r *http.Request) error {
	var list []storage.Module
	if err := s.view(r.Context(), func(tx *storage.Tx) (err error) {
		list, err = tx.ListModules(r.Context())
		return err
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ModuleList{Modules: list})
	return nil
}

func (s *Server) getModule(w http.ResponseWriter, r *http.Request) error {
	var m storage.Module
	if err := s.view(r.Context(), func(tx *storage.Tx) (err error) {
		m, err = tx.GetModule(r.Context(), r.PathValue("name"))
		return err
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// putModule uploads a module's bytes (Content-Type application/wasm). Uploading bytes the name already has changes
// nothing; new bytes add a version that the next deploy pins.
func (s *Server) putModule(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "application/wasm" && ct != "application/octet-stream" {
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: codeUnsupportedMedia,
			Message: fmt.Sprintf("content type %q is not accepted: send the module as application/wasm", ct)}
	}
	wasm, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, storage.MaxModuleBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeBodyTooLarge,
				Message: fmt.Sprintf("a module is at most %d MiB", storage.MaxModuleBytes>>20)}
		}
		return badRequest(codeInvalidModule, "", "reading the module failed: "+err.Error())
	}
	if err := s.validateModule(r.Context(), wasm); err != nil {
		return err
	}
	var out ModuleUpload
	if err := s.update(r.Context(), func(tx *storage.Tx) (err error) {
		out.Module, out.Created, err = tx.PutModule(r.Context(), r.PathValue("name"), wasm)
		return err
	}); err != nil {
		return err
	}
	status := http.StatusOK
	if out.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, out)
	return nil
}

func (s *Server) validateModule(ctx context.Context, wasm []byte) error {
	v, ok := s.rt.(ModuleValidator)
	if !ok {
		return nil
	}
	if err := v.ValidateModule(ctx, wasm); err != nil {
		return badRequest(codeInvalidModule, "file", err.Error())
	}
	return nil
}

func (s *Server) deleteModule(w http.ResponseWriter, r *http.Request) error {
	if err := s.update(r.Context(), func(tx *storage.Tx) error {
		return tx.DeleteModule(r.Context(), r.PathValue("name"))
	}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
