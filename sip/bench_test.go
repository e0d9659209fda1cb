package sip

import "testing"

// BenchmarkRewriteInvite measures the per-INVITE cost of the rewrite on a
// realistic INVITE (SDP, two PAI, RPID): clone, sanitise, rewrite.
func BenchmarkRewriteInvite(b *testing.B) {
	req := parseFile(b, "invite_full.sip")
	b.ReportAllocs()
	for b.Loop() {
		fwd := req.Clone()
		rewriteInvite(fwd, SanitizeName(`Alice "AM" Müller`, 48), "company")
	}
}

// BenchmarkCloneInvite is the clone alone (pitfall 1 makes it mandatory),
// the baseline BenchmarkRewriteInvite adds to.
func BenchmarkCloneInvite(b *testing.B) {
	req := parseFile(b, "invite_full.sip")
	b.ReportAllocs()
	for b.Loop() {
		_ = req.Clone()
	}
}

// BenchmarkCallerNumber is the per-INVITE caller extraction.
func BenchmarkCallerNumber(b *testing.B) {
	req := parseFile(b, "invite_full.sip")
	b.ReportAllocs()
	for b.Loop() {
		_ = callerNumber(req, true)
		_ = withheld(req)
	}
}
