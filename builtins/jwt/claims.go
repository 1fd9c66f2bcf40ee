package jwt

import (
	"fmt"
	"strconv"
)

// Claim types.
const (
	ClaimString = "string"
	ClaimArray  = "array"
)

// Limits on claim rules.
const (
	maxClaims      = 32
	maxClaimValues = 100
	maxClaimName   = 128
)

// Claim is a claim rule (the seed's 클레임 검증 조건): a token claim that must exist (Required) and, when present,
// match (VerifyValue). A "string" claim matches when the token's value equals Values[0]; an "array" claim matches
// when the token's value — a string or an array of strings — shares at least one element with Values. Token values
// that are numbers or booleans compare by their JSON text ("42", "true"); objects never match.
type Claim struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Values      []string `json:"values,omitempty"`
	Required    bool     `json:"required,omitempty"`
	VerifyValue bool     `json:"verifyValue,omitempty"`
}

// claimRule is a compiled Claim.
type claimRule struct {
	name        string
	array       bool
	values      map[string]struct{}
	required    bool
	verifyValue bool
}

func compileClaims(claims []Claim) ([]claimRule, error) {
	if len(claims) > maxClaims {
		return nil, fmt.Errorf("claims: at most %d rules", maxClaims)
	}
	rules := make([]claimRule, 0, len(claims))
	for i, c := range claims {
		at := fmt.Sprintf("claims[%d]", i)
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("%s.name: required", at)
		case len(c.Name) > maxClaimName:
			return nil, fmt.Errorf("%s.name: at most %d bytes", at, maxClaimName)
		case c.Type != ClaimString && c.Type != ClaimArray:
			return nil, fmt.Errorf("%s.type: %q is not %q or %q", at, c.Type, ClaimString, ClaimArray)
		case len(c.Values) > maxClaimValues:
			return nil, fmt.Errorf("%s.values: at most %d values", at, maxClaimValues)
		case c.VerifyValue && len(c.Values) == 0:
			return nil, fmt.Errorf("%s.values: verifyValue needs at least one value", at)
		case c.Type == ClaimString && len(c.Values) > 1:
			return nil, fmt.Errorf("%s.values: a string claim has one value (use type array for several)", at)
		}
		for _, prev := range rules {
			if prev.name == c.Name {
				return nil, fmt.Errorf("%s.name: %q has a rule already", at, c.Name)
			}
		}
		r := claimRule{name: c.Name, array: c.Type == ClaimArray, required: c.Required, verifyValue: c.VerifyValue,
			values: make(map[string]struct{}, len(c.Values))}
		for _, v := range c.Values {
			r.values[v] = struct{}{}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// checkClaims applies the rules to a verified token's claims and returns the name of the first claim that fails.
func checkClaims(rules []claimRule, claims map[string]any) (failed string, ok bool) {
	for i := range rules {
		r := &rules[i]
		v, present := claims[r.name]
		if !present || v == nil {
			if r.required {
				return r.name, false
			}
			continue
		}
		if r.verifyValue && !r.matches(v) {
			return r.name, false
		}
	}
	return "", true
}

func (r *claimRule) matches(v any) bool {
	if s, ok := claimText(v); ok {
		_, in := r.values[s]
		return in
	}
	list, ok := v.([]any)
	if !ok || !r.array {
		return false
	}
	for _, e := range list {
		if s, ok := claimText(e); ok {
			if _, in := r.values[s]; in {
				return true
			}
		}
	}
	return false
}

// claimText is a scalar claim value as text: strings as they are, numbers and booleans as JSON writes them.
func claimText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}
