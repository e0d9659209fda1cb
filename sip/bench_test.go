package sip

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo"
)

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

// BenchmarkProxyCall runs whole calls (INVITE/180/200/ACK/BYE/200, the
// caller known and renamed) through the proxy between in-process sipgo
// peers, 8 concurrent callers per CPU. The peers share the CPUs with the
// proxy, so calls/s is a floor for the proxy alone. Bound it with
// -benchtime=2000x.
func BenchmarkProxyCall(b *testing.B) {
	e := newEnv(b, false, nil)
	b.ReportAllocs()
	b.SetParallelism(8)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			sess, err := e.invite(ctx, fromHeader("", "+4930123456", "pbx.example"))
			if err == nil {
				err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{})
			}
			if err == nil {
				err = sess.Ack(ctx)
			}
			if err == nil {
				err = sess.Bye(ctx)
			}
			cancel()
			if err != nil {
				b.Error(err)
				return
			}
			<-e.uas.invites
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}
