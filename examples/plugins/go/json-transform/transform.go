package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
)

// config is the plugin's configuration. Steps apply in the order drop, rename, add.
type config struct {
	Drop   []string                   `json:"drop"`   // fields to remove
	Rename map[string]string          `json:"rename"` // old name → new name (replacing a field of that name)
	Add    map[string]json.RawMessage `json:"add"`    // fields to set, to any JSON value (replacing)
	// MaxBytes is the largest body transformed (default 1 MiB); larger bodies pass through untouched.
	MaxBytes int64 `json:"maxBytes"`
	// RejectInvalid answers 400 to a request whose JSON content type comes with a body that is not JSON,
	// instead of passing it on untouched.
	RejectInvalid bool `json:"rejectInvalid"`

	renames []rename // Rename in a fixed order, so that chained renames behave the same on every run
}

type rename struct{ from, to string }

const defaultMaxBytes = 1 << 20

// cfg is set once per instance by Init and only read afterwards.
var cfg = config{MaxBytes: defaultMaxBytes}

func parseConfig(raw []byte) (config, error) {
	c := config{MaxBytes: defaultMaxBytes}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return c, err
		}
	}
	if c.MaxBytes <= 0 {
		return c, errors.New(`"maxBytes" must be positive`)
	}
	for k, v := range c.Add {
		if !json.Valid(v) {
			return c, errors.New(`"add": invalid value for ` + k)
		}
	}
	for from, to := range c.Rename {
		if to == "" {
			return c, errors.New(`"rename": empty new name for ` + from)
		}
		c.renames = append(c.renames, rename{from, to})
	}
	sort.Slice(c.renames, func(i, j int) bool { return c.renames[i].from < c.renames[j].from })
	return c, nil
}

var errNotJSON = errors.New("not JSON")

// transform rewrites body. It returns nil and no error when there is nothing to change (a JSON value that is
// neither an object nor an array, or an empty body), and an error when body is not JSON. Fields of the result
// come out in sorted order; values are kept byte for byte, apart from insignificant whitespace.
func (c *config) transform(body []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, nil
	}
	switch trimmed[0] {
	case '{':
		obj, err := c.object(trimmed)
		if err != nil {
			return nil, err
		}
		return marshal(obj)
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, err
		}
		for i, item := range items {
			if len(item) > 0 && item[0] == '{' {
				obj, err := c.object(item)
				if err != nil {
					return nil, err
				}
				if items[i], err = marshal(obj); err != nil {
					return nil, err
				}
			}
		}
		return marshal(items)
	}
	if !json.Valid(trimmed) {
		return nil, errNotJSON
	}
	return nil, nil
}

func (c *config) object(b []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, err
	}
	for _, k := range c.Drop {
		delete(obj, k)
	}
	for _, r := range c.renames {
		if v, ok := obj[r.from]; ok {
			delete(obj, r.from)
			obj[r.to] = v
		}
	}
	for k, v := range c.Add {
		obj[k] = v
	}
	return obj, nil
}

// marshal encodes v without escaping <, > and & (the body is not HTML) and without the encoder's newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// errorBody is the gateway's error shape: {"error":{"code":…,"message":…,"requestId":…}}.
func errorBody(code, message, requestID string) []byte {
	type detail struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	}
	b, _ := marshal(struct {
		Error detail `json:"error"`
	}{detail{code, message, requestID}})
	return b
}
