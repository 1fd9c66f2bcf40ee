package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// decode reads r's JSON body into v, strictly: a JSON content type (or none), within the size limit, no unknown
// fields, exactly one value. An empty body is an error unless optional is set, in which case v is left as it is.
func (s *Server) decode(r *http.Request, v any, optional bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &apiError{Status: http.StatusUnsupportedMediaType, Code: codeUnsupportedMedia,
				Message: fmt.Sprintf("content type %q is not accepted: send application/json", ct)}
		}
	}
	limit := s.bodyLimit(r)
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeBodyTooLarge,
				Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
		}
		return badRequest(codeInvalidJSON, "", "reading the request body failed: "+err.Error())
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return badRequest(codeInvalidJSON, "", "the request body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := position(body, dec.InputOffset())
		return badRequest(codeInvalidJSON, "", fmt.Sprintf("unexpected data after the JSON value at line %d, "+
			"column %d", line, col))
	}
	return nil
}

// bodyLimit is the size limit of r's body.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if r.URL.Path == "/v1/apply" && s.maxBody < ApplyMaxBodyBytes {
		return ApplyMaxBodyBytes
	}
	return s.maxBody
}

// jsonError turns a decoding error into a 400 that says where the problem is.
func jsonError(body []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(body, syn.Offset)
		return badRequest(codeInvalidJSON, "", fmt.Sprintf("malformed JSON at line %d, column %d (offset %d): %s",
			line, col, syn.Offset, strings.TrimPrefix(syn.Error(), "json: ")))
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(body, int64(len(body)))
		return badRequest(codeInvalidJSON, "", fmt.Sprintf("malformed JSON: the body ends early, at line %d, "+
			"column %d", line, col))
	case errors.As(err, &typ):
		line, col := position(body, typ.Offset)
		field := typ.Field
		return badRequest(codeInvalidJSON, field, fmt.Sprintf("%s must be %s, not a JSON %s (line %d, column %d)",
			fieldName(field), jsonKind(typ.Type.Kind().String()), typ.Value, line, col))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			name = strings.TrimPrefix(err.Error(), "json: unknown field ")
		}
		return badRequest(codeInvalidJSON, name, fmt.Sprintf("unknown field %q", name))
	}
	return badRequest(codeInvalidJSON, "", "malformed JSON: "+strings.TrimPrefix(err.Error(), "json: "))
}

func fieldName(f string) string {
	if f == "" {
		return "the body"
	}
	return f
}

// jsonKind names a Go kind the way a JSON author thinks of it.
func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice", k == "array":
		return "an array"
	case k == "map", k == "struct":
		return "an object"
	}
	return "a different type"
}

// position converts a byte offset into a 1-based line and column.
func position(body []byte, offset int64) (line, col int) {
	if offset > int64(len(body)) {
		offset = int64(len(body))
	}
	before := body[:offset]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// ifMatch returns the version named by r's If-Match header: 0 when it is absent or "*" (no check). It accepts a
// strong ETag ("7") or a bare number (7); anything else is a 400.
func ifMatch(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, nil
	}
	num := v
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		num = v[1 : len(v)-1]
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 {
		return 0, badRequest(codeInvalidIfMatch, "If-Match", fmt.Sprintf("If-Match %q is not a version: send the "+
			"ETag of the entity you read, like \"3\", or * for no check", v))
	}
	return n, nil
}

// ifMatchTag returns the opaque ETag named by r's If-Match header, or "" when it is absent or "*".
func ifMatchTag(r *http.Request) (string, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return "", nil
	}
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || strings.ContainsAny(v[1:len(v)-1], "\", ") {
		return "", badRequest(codeInvalidIfMatch, "If-Match", fmt.Sprintf("If-Match %q is not an ETag: send the "+
			"ETag you read, quotes included, or * for no check", v))
	}
	return v, nil
}

// etag formats a version as an ETag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// writeEntity writes one entity with its version as the ETag.
func writeEntity(w http.ResponseWriter, status int, version int64, v any) {
	w.Header().Set("ETag", etag(version))
	writeJSON(w, status, v)
}

// created writes a newly created entity with its location and version.
func created(w http.ResponseWriter, location string, version int64, v any) {
	w.Header().Set("Location", location)
	writeEntity(w, http.StatusCreated, version, v)
}

// pathID parses the numeric path value name.
func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, badRequest(codeInvalidArgument, name, fmt.Sprintf("%q is not an ID: IDs are positive integers", v))
	}
	return n, nil
}

// DefaultStage is how URLs name the default stage, whose name is "".
const DefaultStage = "default"

// stageParam returns the stage named by r's URL.
func stageParam(r *http.Request) string {
	if v := r.PathValue("stage"); v != DefaultStage {
		return v
	}
	return ""
}

// stageURLName is how URLs name the stage called name.
func stageURLName(name string) string {
	if name == "" {
		return DefaultStage
	}
	return name
}

// noContent answers a successful delete.
func noContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}
