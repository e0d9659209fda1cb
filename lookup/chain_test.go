package lookup

import (
	"context"
	"errors"
	"testing"
)

type fakeSource struct {
	name   string
	res    Result
	err    error
	remote bool
	calls  int
}

func (f *fakeSource) Name() string { return f.name }
func (f *fakeSource) Remote() bool { return f.remote }
func (f *fakeSource) Lookup(context.Context, Query) (Result, error) {
	f.calls++
	return f.res, f.err
}

func TestChainOrderAndFallThrough(t *testing.T) {
	boom := errors.New("boom")
	a := &fakeSource{name: "a", err: ErrNotFound}
	b := &fakeSource{name: "b", err: boom}
	c := &fakeSource{name: "c", res: Result{Name: "Ann", Source: SourceCompany}}
	d := &fakeSource{name: "d", res: Result{Name: "never"}}
	r, err := Chain{a, b, c, d}.Lookup(context.Background(), Query{Number: "1"})
	if err != nil || r.Name != "Ann" {
		t.Fatalf("got %+v, %v", r, err)
	}
	if d.calls != 0 {
		t.Error("source after the first match was asked")
	}
	_, err = Chain{a, b}.Lookup(context.Background(), Query{})
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, boom) {
		t.Errorf("err = %v, want not found joined with the source error", err)
	}
	if _, err := (Chain{}).Lookup(context.Background(), Query{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty chain: %v", err)
	}
}

func TestChainStopsOnCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := &fakeSource{err: ErrNotFound}
	b := &fakeSource{res: Result{Name: "x"}}
	if _, err := (Chain{a, b}).Lookup(ctx, Query{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err %v", err)
	}
	if b.calls != 0 {
		t.Error("chain went on after the context was done")
	}
}

func TestLookupLocalSkipsRemoteSources(t *testing.T) {
	crm := &fakeSource{name: "crm", remote: true, res: Result{Name: "From CRM", Source: SourceCRM}}
	local := &fakeSource{name: "local", err: ErrNotFound}
	c := Chain{crm, local}
	if _, err := c.LookupLocal(context.Background(), Query{Number: "+49"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LookupLocal err = %v", err)
	}
	if crm.calls != 0 {
		t.Fatal("a remote source saw a withheld caller")
	}
	if r, _ := c.Lookup(context.Background(), Query{}); r.Name != "From CRM" {
		t.Errorf("Lookup must still ask remote sources: %+v", r)
	}
}

func TestChainRemote(t *testing.T) {
	local := &fakeSource{name: "local"}
	crm := &fakeSource{name: "crm", remote: true}
	plain := plainSource{} // implements no Remote method: local
	for _, tc := range []struct {
		name  string
		chain Chain
		want  bool
	}{
		{"empty", Chain{}, false},
		{"local only", Chain{local, plain}, false},
		{"remote last", Chain{local, crm}, true},
		{"remote only", Chain{crm}, true},
	} {
		if got := tc.chain.Remote(); got != tc.want {
			t.Errorf("%s: Remote() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

type plainSource struct{}

func (plainSource) Name() string                                  { return "plain" }
func (plainSource) Lookup(context.Context, Query) (Result, error) { return Result{}, ErrNotFound }
