package admin

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/portico-gateway/portico/storage"
)

// Error codes the admin API itself produces; storage's codes (storage.Code*) pass through unchanged.
const (
	codeUnauthorized      = "unauthorized"
	codeNotFound          = "not_found"
	codeMethodNotAllowed  = "method_not_allowed"
	codeInvalidJSON       = "invalid_json"
	codeBodyTooLarge      = "body_too_large"
	codeUnsupportedMedia  = "unsupported_media_type"
	codeInvalidIfMatch    = "invalid_if_match"
	codeInvalidArgument   = storage.CodeInvalid
	codeDeployCheckFailed = "deploy_check_failed"
	codeReloadFailed      = "reload_failed"
	codeProfilerBusy      = "profiler_busy"
	codeInternal          = "internal"
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: a stable code, a message for a person, the offending field when there is one,
// and the request ID to find the server's log lines.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// apiError is an error the admin API answers as is.
type apiError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func badRequest(code, field, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Field: field, Message: msg}
}

// statusOf maps a storage error kind to its HTTP status.
func statusOf(k storage.ErrorKind) int {
	switch k {
	case storage.KindInvalid:
		return http.StatusBadRequest
	case storage.KindNotFound:
		return http.StatusNotFound
	case storage.KindConflict, storage.KindLimit:
		return http.StatusConflict
	case storage.KindStale:
		return http.StatusPreconditionFailed
	}
	return http.StatusInternalServerError
}

// writeError answers err: an *apiError or a *storage.Error as it says, anything else as a logged 500 whose details
// stay in the log.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	id := requestIDOf(r)
	var d ErrorDetail
	status := http.StatusInternalServerError
	var ae *apiError
	if errors.As(err, &ae) {
		status, d = ae.Status, ErrorDetail{Code: ae.Code, Message: ae.Message, Field: ae.Field}
	} else if se, ok := storage.AsError(err); ok && statusOf(se.Kind) != http.StatusInternalServerError {
		status, d = statusOf(se.Kind), ErrorDetail{Code: se.Code, Message: se.Message, Field: se.Field}
		if d.Code == "" {
			d.Code = codeInvalidArgument
		}
	} else {
		s.log.ErrorContext(r.Context(), "admin request failed", logKeyRequestID, id, logKeyMethod, r.Method,
			logKeyPath, r.URL.Path, logKeyError, err)
		d = ErrorDetail{Code: codeInternal, Message: "internal error: see the server log for this request ID"}
	}
	d.RequestID = id
	writeJSON(w, status, ErrorBody{Error: d})
}

// writeJSON writes v as the response body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only an unmarshalable value gets here: a programming error. Keep the response well-formed.
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error: response encoding failed"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
