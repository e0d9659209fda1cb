// Package store is cidproxy's durable store on Badger (badger/v4): company
// contacts, phonebooks, extensions, personal contacts, prefix rules, API
// tokens, the change log for client sync, and a namespaced key-value space for other
// packages (CRM templates, encrypted tokens). It is the source of truth;
// the in-memory lookup.Index is rebuilt from it at Open and updated on
// every write.
//
// # Key layout (version 1)
//
// Every key starts with a layout version so a future layout can live next
// to this one and be migrated at Open. All ids are short ASCII strings
// ([A-Za-z0-9_.-], at most 64 bytes); numbers never appear in keys.
//
//	v1/meta/schema          "1": layout version of this directory
//	v1/meta/contacts        approximate number of contacts (uint64, big endian), a
//	                        hint to size the index at start; kept by every write
//	v1/meta/norm            normaliser fingerprint ("DE/6"): region and short-number
//	                        length the stored number keys were computed with; when the
//	                        configuration differs, Open recomputes them
//	v1/c/<id>               company contact, compact record (see record.go): the
//	                        fields of lookup.Contact plus its normalised number keys
//	v1/ci/<id>              index projection of v1/c/<id> (display name and number
//	                        keys), written in the same transaction; the start-up
//	                        rebuild reads only these small values (they stay in the
//	                        LSM tree, the full records may go to the value log)
//	v1/p/<id>               prefix rule, compact record: prefix as written, name
//	v1/kv/<ns>/<key>        generic KV for other packages (DB.KV); <ns> has no "/"
//	v1/meta/rev             current revision (uint64, big endian), bumped by every write
//	                        in the write's transaction
//	v1/meta/revfloor        newest revision whose change record was compacted away
//	v1/meta/projfmt         format of the v1/ci projections ("2": with phonebooks);
//	                        Open rewrites older ones
//	v1/rev/<rev>            change log: 16 hex digits of the revision -> kind, id,
//	                        deleted, owner, phonebooks, time (rev.go); Changes is a
//	                        range scan from v1/rev/<since+1>
//	v1/pb/<id>              phonebook: name, source, flags, view and manage grants, rev
//	v1/x/<ext>              extension: display name, email, rev
//	v1/pc/<ext>/<id>        personal contact owned by extension <ext> (same record as v1/c)
//	v1/tok/<sha256 hex>     API token record (viewer, label, created, hash); the plain
//	                        token is never stored
//	v1/meta/bulk            commit marker of a bulk write in progress (see below)
//
// Phonebook membership is stored on the contact (record and projection:
// the ids of its phonebooks), so the start-up index build reads it with
// the projections it reads anyway; deleting a phonebook rewrites its
// members. Reads ignore ids of phonebooks that no longer exist.
//
// # Bulk writes
//
// Writes of many records (API and CLI imports, SQL and CRM syncs) go
// through one mechanism, Bulk, and are all or nothing across a crash
// (kill -9, power loss with store.sync_writes). Badger transactions are
// too small for them and a WriteBatch is not atomic, so:
//
//  1. Stage: NewBulk/NewSyncBulk, then Put*/Delete* append validated
//     operations to a file in the staging directory (<store dir>/bulk).
//     Nothing is in Badger yet.
//  2. Resolve: Commit (holding the write lock) reads the staged file,
//     resolves each operation against the store (does the record exist,
//     which phonebooks its change concerns), checks the limits and writes
//     the resolved operations to a second file, fsynced. ErrLimit,
//     conflicts and cancellation stop here: nothing was written.
//  3. Mark: one small transaction writes v1/meta/bulk naming that file,
//     the revision it starts after and the contact count after it. This
//     is the commit point.
//  4. Apply: a WriteBatch writes every operation (records, projections,
//     change blocks with revisions from the marker, the revision), then
//     one transaction sets the contact count and deletes the marker; the
//     index, counts and phonebooks in memory follow, and the file goes.
//
// Open finishes a write whose marker it finds, before it builds the
// index, by applying the named file again (idempotent: same records, same
// revisions), and deletes staging files no marker names. A crash before
// step 3 therefore leaves nothing, one after it everything, and the index
// is built from what the store holds. Readers in the running process may
// see a write half-applied during step 4, never after a restart. If step 4
// fails in the running process (a full disk: see ErrDiskFull), the marker
// stays and the next write that takes a revision finishes the bulk write
// first (its revisions are reserved), or Open does. Large bulk loops pause
// briefly every 1,024 operations so that calls keep getting CPU.
//
// Record values begin with a format byte so fields can be added without a
// new key version (decoders ignore unknown trailing fields).
package store
