package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"cidproxy/lookup"
	"cidproxy/store"
)

// Sync page bounds (changes read from the store per request).
const (
	defaultSyncLimit = 500
	maxSyncLimit     = 5000
)

// syncRecord is one upsert of the sync feed: the record as GET returns it.
type syncRecord struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Rev  uint64 `json:"rev"`
	Data any    `json:"data"`
}

// syncDeletion is one deletion of the sync feed; for an extension it
// also means "no longer visible to you".
type syncDeletion struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// syncResponse is the body of GET /api/v1/sync.
type syncResponse struct {
	Rev       uint64         `json:"rev"`
	Upserts   []syncRecord   `json:"upserts"`
	Deletions []syncDeletion `json:"deletions"`
	More      bool           `json:"more"`
}

// sync answers what changed after ?since= that the caller may see. With
// "more": true the client asks again with since=rev.
func (s *Server) sync(w http.ResponseWriter, r *http.Request, c *call) error {
	since, limit, err := syncParams(r)
	if err != nil {
		return err
	}
	changes, cur, err := s.st.Changes(r.Context(), since, limit)
	if err != nil {
		return err
	}
	sc, err := s.scope(r.Context(), c.viewer)
	if err != nil {
		return err
	}
	out := syncResponse{Rev: cur, Upserts: []syncRecord{}, Deletions: []syncDeletion{}}
	if len(changes) == limit && changes[len(changes)-1].Rev < cur {
		out.More, out.Rev = true, changes[len(changes)-1].Rev
	}
	last := map[[2]string]int{}
	for i, ch := range changes {
		last[[2]string{ch.Kind, ch.Owner + "/" + ch.ID}] = i
	}
	for i, ch := range changes {
		if last[[2]string{ch.Kind, ch.Owner + "/" + ch.ID}] != i {
			continue // a later change of the same record follows
		}
		rec, visible, err := s.syncRecord(r.Context(), sc, ch)
		switch {
		case err != nil:
			return err
		case visible && rec != nil:
			out.Upserts = append(out.Upserts, *rec)
		case since == 0:
			// A first sync has nothing to delete.
		case visible || s.mayHaveSeen(sc, ch):
			out.Deletions = append(out.Deletions, syncDeletion{Kind: ch.Kind, ID: ch.ID})
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func syncParams(r *http.Request) (uint64, int, error) {
	q := r.URL.Query()
	var since uint64
	if s := q.Get("since"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			p := badRequest("since must be a revision number (0 for everything)")
			p.Field = "since"
			return 0, 0, p
		}
		since = n
	}
	limit := defaultSyncLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxSyncLimit {
			p := badRequest("limit must be a number from 1 to %d", maxSyncLimit)
			p.Field = "limit"
			return 0, 0, p
		}
		limit = n
	}
	return since, limit, nil
}

// syncRecord loads the current state of a changed record. visible says
// whether the caller may see the record now; rec is nil when it is gone.
func (s *Server) syncRecord(ctx context.Context, sc *scope, ch lookup.Change) (*syncRecord, bool, error) {
	v := sc.v
	var (
		data any
		rev  uint64
		err  error
	)
	switch ch.Kind {
	case lookup.KindPersonal:
		if !v.Admin && ch.Owner != v.Extension {
			return nil, false, nil
		}
		var ct lookup.Contact
		ct, err = s.st.GetPersonal(ctx, ch.Owner, ch.ID)
		data, rev = ct, ct.Rev
	case lookup.KindContact:
		var ct lookup.Contact
		ct, err = s.st.GetContact(ctx, ch.ID)
		if err == nil && !sc.canView(&ct) {
			return nil, false, nil
		}
		data, rev = sc.redact(ct), ct.Rev
	case lookup.KindPhonebook:
		if _, ok := sc.pbs[ch.ID]; ok && !sc.canViewBook(ch.ID) {
			return nil, false, nil
		}
		var p lookup.Phonebook
		p, err = s.st.GetPhonebook(ctx, ch.ID)
		data, rev = redactBook(v, p), p.Rev
	case lookup.KindExtension:
		if !v.Admin && ch.ID != v.Extension {
			return nil, false, nil
		}
		var e lookup.Extension
		e, err = s.st.GetExtension(ctx, ch.ID)
		data, rev = e, e.Rev
	case lookup.KindPrefix:
		if !v.Admin {
			return nil, false, nil
		}
		data, err = s.st.GetPrefixRule(ctx, ch.ID)
		rev = ch.Rev
	default:
		return nil, false, nil
	}
	if errors.Is(err, store.ErrNotFound) || err == nil && ch.Deleted {
		return nil, s.mayHaveSeen(sc, ch), nil
	}
	if err != nil {
		return nil, false, err
	}
	return &syncRecord{Kind: ch.Kind, ID: ch.ID, Rev: rev, Data: data}, true, nil
}

// mayHaveSeen reports whether the caller may have held the record of a
// change it cannot see (now): then it gets a deletion. A company
// contact's change lists the phonebooks it was in before and after, so a
// contact that left a phonebook the caller views shows up; a phonebook
// change lists who could view it before and after, so a revoked grant
// shows up to the extension that lost it and to no one else.
func (s *Server) mayHaveSeen(sc *scope, ch lookup.Change) bool {
	switch ch.Kind {
	case lookup.KindPersonal:
		return sc.v.Admin || ch.Owner == sc.v.Extension
	case lookup.KindExtension:
		return sc.v.Admin || ch.ID == sc.v.Extension
	case lookup.KindPrefix:
		return sc.v.Admin
	case lookup.KindContact:
		return sc.v.Admin || slices.ContainsFunc(ch.Phonebooks, sc.canViewBook)
	case lookup.KindPhonebook:
		// Only those who could view it before or after the change (a
		// revoked grant included) learn of the phonebook's id.
		return sc.v.Admin || slices.Contains(ch.Viewers, "*") || slices.Contains(ch.Viewers, sc.v.Extension)
	}
	return sc.v.Admin
}
