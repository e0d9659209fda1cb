package crm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"cidproxy/crm/builtin"
)

func customTemplate(key string, pad int) []byte {
	b, _ := builtin.Bytes(builtin.Freshdesk)
	s := strings.Replace(string(b), `Key="freshdesk"`, `Key="`+key+`"`, 1)
	s = strings.Replace(s, `Remark="`, `Remark="`+strings.Repeat("x", pad), 1)
	return []byte(s)
}

func TestTemplateStoreLimits(t *testing.T) {
	ctx := context.Background()
	st := NewTemplateStore(NewMemKV(), builtin.Has)
	for i := 0; i < MaxCustomTemplates; i++ {
		if _, err := st.Save(ctx, customTemplate(fmt.Sprintf("custom-%d", i), 0)); err != nil {
			t.Fatalf("template %d: %v", i, err)
		}
	}
	if _, err := st.Save(ctx, customTemplate("custom-10", 0)); !errors.Is(err, ErrTooManyTemplates) {
		t.Fatalf("11th template: %v", err)
	}
	// Replacing an existing key is not a new template.
	if _, err := st.Save(ctx, customTemplate("custom-3", 10)); err != nil {
		t.Fatalf("replace: %v", err)
	}
	if err := st.Delete(ctx, "custom-0"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Save(ctx, customTemplate("custom-10", 0)); err != nil {
		t.Fatalf("after delete: %v", err)
	}
	keys, _ := st.List(ctx)
	if len(keys) != MaxCustomTemplates || keys[0] != "custom-1" {
		t.Fatalf("keys %v", keys)
	}
}

func TestTemplateStoreRejects(t *testing.T) {
	ctx := context.Background()
	st := NewTemplateStore(NewMemKV(), builtin.Has)
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"1 MB", customTemplate("big", MaxTemplateBytes), ErrTemplateTooLarge},
		{"builtin key", customTemplate("zoho", 0), ErrBuiltinKey},
		{"bad key", customTemplate("../../etc", 0), ErrBadTemplateKey},
		{"empty key", customTemplate("", 0), ErrBadTemplateKey},
	}
	for _, tc := range tests {
		if _, err := st.Save(ctx, tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := st.Save(ctx, []byte(`<Information Key="x"><Scenarios><Scenario Id="Nope"/></Scenarios></Information>`)); err == nil ||
		!strings.Contains(err.Error(), "Nope") {
		t.Errorf("invalid template: %v", err)
	}
	if _, err := st.Load(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
}

func TestTemplateStoreDownloadEqualsUpload(t *testing.T) {
	ctx := context.Background()
	st := NewTemplateStore(NewMemKV(), nil)
	up := customTemplate("roundtrip", 3)
	if _, err := st.Save(ctx, up); err != nil {
		t.Fatal(err)
	}
	down, err := st.Download(ctx, "roundtrip")
	if err != nil || !bytes.Equal(up, down) {
		t.Fatalf("download differs: %v", err)
	}
	tpl, err := st.Load(ctx, "roundtrip")
	if err != nil || tpl.Key != "roundtrip" {
		t.Fatalf("%v", err)
	}
	// Uploading the download again is accepted and changes nothing.
	if _, err := st.Save(ctx, down); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.Download(ctx, "roundtrip"); !bytes.Equal(again, up) {
		t.Fatal("re-upload changed the template")
	}
}
