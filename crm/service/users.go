package service

import (
	"context"
	"maps"
	"strings"

	"cidproxy/crm"
	"cidproxy/lookup"
)

// loadUsers links extensions to CRM users: the explicit users.map, and
// with auto_by_email the CRM users whose e-mail equals an extension's.
func (in *Integration) loadUsers(ctx context.Context) {
	links := maps.Clone(in.cfg.Users.Map)
	if links == nil {
		links = map[string]string{}
	}
	if in.cfg.Users.AutoByEmail {
		users, err := in.it.Users(ctx)
		if err != nil {
			in.fail(err)
			in.s.log.Warn("crm users not loaded", "integration", in.name, "err", in.it.Redactor().String(err.Error()))
			in.keepOrSet(links)
			return
		}
		exts, err := in.s.opts.Store.ListExtensions(ctx)
		if err != nil {
			in.s.log.Warn("extensions not listed", "err", err)
			in.keepOrSet(links)
			return
		}
		links = crm.AssociateByEmail(users, toCRMExtensions(exts), links)
	}
	in.setUsers(links, true)
}

// keepOrSet keeps the links of the last complete load after a failed
// refresh; before the first one it installs the explicit links alone.
func (in *Integration) keepOrSet(links map[string]string) {
	in.usersMu.RLock()
	loaded := in.usersLoaded
	in.usersMu.RUnlock()
	if !loaded {
		in.setUsers(links, false)
	}
}

func (in *Integration) setUsers(links map[string]string, complete bool) {
	in.usersMu.Lock()
	in.users = links
	in.usersLoaded = in.usersLoaded || complete || !in.cfg.Users.AutoByEmail
	in.usersMu.Unlock()
}

// userFor returns the CRM user linked to ext; known reports whether the
// links are complete (auto links loaded at least once).
func (in *Integration) userFor(ext string) (id string, known bool) {
	in.usersMu.RLock()
	defer in.usersMu.RUnlock()
	if in.users == nil {
		if id, ok := in.cfg.Users.Map[ext]; ok {
			return id, true
		}
		return "", !in.cfg.Users.AutoByEmail
	}
	return in.users[ext], in.usersLoaded
}

// Links returns a copy of the extension -> CRM user links.
func (in *Integration) Links() map[string]string {
	in.usersMu.RLock()
	defer in.usersMu.RUnlock()
	if in.users == nil {
		return maps.Clone(in.cfg.Users.Map)
	}
	return maps.Clone(in.users)
}

func toCRMExtensions(exts []lookup.Extension) []crm.Extension {
	out := make([]crm.Extension, 0, len(exts))
	for _, e := range exts {
		out = append(out, toCRMExtension(e))
	}
	return out
}

func toCRMExtension(e lookup.Extension) crm.Extension {
	first, last, _ := strings.Cut(strings.TrimSpace(e.Name), " ")
	return crm.Extension{Number: e.Number, FirstName: first, LastName: last, Email: e.Email}
}
