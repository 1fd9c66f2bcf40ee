package errbody

import (
	"encoding/json"
	"testing"
)

func TestAppendIsValidJSON(t *testing.T) {
	for _, tc := range []struct{ code, msg, id string }{
		{"route_not_found", "no resource matches this path", "abc-1"},
		{"x", "quote \" backslash \\ newline \n tab \t nul \x00", ""},
	} {
		b := Append([]byte("prefix"), tc.code, tc.msg, tc.id)[len("prefix"):]
		var body struct {
			Error struct{ Code, Message, RequestID string } `json:"error"`
		}
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("%q is not JSON: %v", b, err)
		}
		if body.Error.Code != tc.code || body.Error.Message != tc.msg || body.Error.RequestID != tc.id {
			t.Fatalf("round trip gave %+v", body.Error)
		}
	}
}
