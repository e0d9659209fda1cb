package crm

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Token is an access token with its refresh token, as persisted (sealed).
type Token struct {
	AccessToken  string            `json:"access_token"`
	RefreshToken string            `json:"refresh_token,omitempty"`
	TokenType    string            `json:"token_type,omitempty"`
	Obtained     time.Time         `json:"obtained"`
	Expiry       time.Time         `json:"expiry,omitzero"` // zero = unknown
	Extra        map[string]string `json:"extra,omitempty"` // other string fields (api_domain, instance_url)
}

// ErrTokenResponse wraps errors reported by a token endpoint.
var ErrTokenResponse = errors.New("crm: token endpoint error")

// maxTokenLen bounds a token we accept, so a hostile endpoint cannot make us
// send megabyte headers.
const maxTokenLen = 8 << 10

// ParseTokenResponse reads an OAuth2 token endpoint answer (RFC 6749 §5.1)
// tolerating the shapes real CRMs send: expires_in as number or string,
// Zoho's expires_in_sec, an "error" field with HTTP 200, and tokens nested in
// "data". Top-level string fields other than the tokens land in Extra.
func ParseTokenResponse(body []byte, now time.Time) (Token, error) {
	var raw map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return Token{}, fmt.Errorf("%w: response is not a JSON object", ErrTokenResponse)
	}
	if d, ok := raw["data"].(map[string]any); ok && raw["access_token"] == nil {
		raw = d
	}
	if e, ok := raw["error"]; ok && e != nil && e != "" {
		return Token{}, fmt.Errorf("%w: %s", ErrTokenResponse, truncate(str(e), 64))
	}
	t := Token{Obtained: now, Extra: map[string]string{}}
	t.AccessToken = firstString(raw, "access_token", "accessToken", "token")
	t.RefreshToken = firstString(raw, "refresh_token", "refreshToken")
	t.TokenType = str(raw["token_type"])
	if t.AccessToken == "" {
		return Token{}, fmt.Errorf("%w: no access_token", ErrTokenResponse)
	}
	if len(t.AccessToken) > maxTokenLen || len(t.RefreshToken) > maxTokenLen ||
		strings.ContainsAny(t.AccessToken+t.RefreshToken+t.TokenType, "\r\n\x00") {
		return Token{}, fmt.Errorf("%w: malformed token", ErrTokenResponse)
	}
	if secs, ok := seconds(raw["expires_in"]); ok {
		t.Expiry = now.Add(secs)
	} else if secs, ok := seconds(raw["expires_in_sec"]); ok {
		t.Expiry = now.Add(secs)
	}
	for k, v := range raw {
		switch k {
		case "access_token", "accessToken", "token", "refresh_token", "refreshToken", "id_token":
			continue
		}
		if s, ok := v.(string); ok && len(s) <= 2048 && !strings.ContainsAny(s, "\r\n") {
			t.Extra[k] = s
		}
	}
	return t, nil
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// seconds reads a positive lifetime given as a JSON number or string.
func seconds(v any) (time.Duration, bool) {
	var n float64
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, false
		}
		n = f
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false
		}
		n = f
	default:
		return 0, false
	}
	if n <= 0 || n > 10*365*24*3600 || n != n {
		return 0, false
	}
	return time.Duration(n * float64(time.Second)), true
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
