package template

import (
	"strings"
	"testing"
	"time"
)

func TestFormatTimeTokens(t *testing.T) {
	ts := time.Date(2026, 11, 3, 14, 5, 9, 123e6, time.UTC)
	la := time.FixedZone("X", -(9*3600 + 30*60))
	tests := []struct {
		layout string
		t      time.Time
		want   string
	}{
		{"yyyy-MM-ddTHH:mm:ss.000Zz", ts, "2026-11-03T14:05:09.123Z"},
		{"yyyy-MM-ddTHH:mm:ss.000Zz", ts.In(cet), "2026-11-03T15:05:09.123+01:00"},
		{"yyyy-MM-ddTHH:mm:ssK", ts.In(la), "2026-11-03T04:35:09-09:30"},
		{"yy/M/d H:m:s", ts, "26/11/3 14:5:9"},
		{"dddd, MMMM dd yyyy h:mm tt", ts, "Tuesday, November 03 2026 2:05 PM"},
		{"ddd MMM hh", ts, "Tue Nov 02"},
		{"HH:mm zzz|zz|z", ts.In(cet), "15:05 +01:00|+01|+1"},
		{"HH:mm zzz|zz|z", ts, "14:05 +00:00|+00|+0"},
		{"fff SSS", ts, "123 123"},
		{"yyyy-MM-dd HH:mm:ss +0000", ts, "2026-11-03 14:05:09 +0000"},
		{"dd.MM.yyyy 'day' \\s", ts, "03.11.2026 day s"},
		{"'it''s' yyyy", ts, "it's 2026"},
		{"'unterminated", ts, "unterminated"},
		{"'' yyyy", ts, "' 2026"},
		{"", ts, ""},
		{"T", ts, "T"},
	}
	for _, tt := range tests {
		if got := formatTime(tt.t, tt.layout); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.layout, got, tt.want)
		}
	}
}

func TestTimeFunctions(t *testing.T) {
	tests := []struct {
		src  string
		vars Vars
		want string
	}{
		{`{{TimeFormat .T "yyyy-MM-dd HH:mm:ss" "1"}}`, Vars{"T": "1672531199000"}, "2022-12-31 23:59:59"}, // milliseconds
		{`{{TimeFormat .T "yyyy-MM-dd HH:mm:ss" "1"}}`, Vars{"T": 1672531199}, "2022-12-31 23:59:59"},
		{`{{TimeFormat .T "yyyy-MM-dd HH:mm:ss" "1"}}`, Vars{"T": "1672531199.5"}, "2022-12-31 23:59:59"},
		{`{{TimeFormat .T "yyyy-MM-dd HH:mm:ss.000" "1"}}`, Vars{"T": time.Unix(1672531199, 5e8)}, "2022-12-31 23:59:59.500"},
		{`{{TimeFormat .T "yyyy" "1"}}`, Vars{"T": ""}, ""},
		{`{{TimeFormat .T "yyyy" "1"}}`, Vars{}, ""},
		{`{{TimeFormat .T "HH" "0"}}`, Vars{"T": "1672531199"}, "00"},
		{`{{TimeFormat .T "HH" "true"}}`, Vars{"T": "1672531199"}, "23"},
		{`{{ToMillis .T}}`, Vars{"T": "1672531199000"}, "1672531199000"},
		{`{{ToMillis .T}}`, Vars{"T": ""}, ""},
		{`{{ToMillis .T}}`, Vars{"T": 5}, "5000"},
		{`{{Capitalize .S}}`, Vars{"S": "élan vital"}, "Élan vital"},
		{`{{Capitalize .S}}`, Vars{"S": ""}, ""},
		{`{{.S | Capitalize}}`, Vars{"S": "x"}, "X"},
		{`{{UrlEncode .S}}`, Vars{"S": "+49 30/ä~-._"}, "%2B49%2030%2F%C3%A4~-._"},
		{`{{UrlEncode .S}}`, Vars{}, ""},
	}
	for _, tt := range tests {
		if got := renderValue(t, tt.src, CtxPlain, tt.vars); got != tt.want {
			t.Errorf("%s %v: got %q, want %q", tt.src, tt.vars, got, tt.want)
		}
	}
	v, _ := newCompiled(cet).compileValue(`{{TimeFormat .T "yyyy"}}`, CtxPlain)
	if _, err := v.exec(Vars{"T": "yesterday"}); err == nil || !strings.Contains(err.Error(), `not a unix timestamp: "yesterday"`) {
		t.Errorf("bad timestamp: %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := map[string]string{
		`{{Lower .X}}`:                      `unknown function "Lower"`,
		`{{.X`:                              `template syntax: unclosed action`,
		`{{ToMillis}}`:                      `ToMillis takes 1 arguments, got 0`,
		`{{.X | UrlEncode .Y}}`:             `UrlEncode takes 1 arguments, got 2`,
		`{{TimeFormat .A "x" "1" "2"}}`:     `TimeFormat takes 2 or 3 arguments, got 4`,
		`{{define "x"}}a{{end}}`:            `{{define}} and {{block}} are not supported`,
		`{{template "x"}}`:                  `{{template}} is not supported`,
		`{"a":{{if .X}}"{{end}}1}`:          errBranches.Error(),
		`{"a":[{{range .X}}"{{end}}]}`:      errBranches.Error(),
		`{"a":{{with .X}}"{{else}}{{end}}}`: errBranches.Error(),
	}
	for src, want := range tests {
		_, err := newCompiled(cet).compileValue(src, CtxJSON)
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", src, err, want)
		}
	}
}
