package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// flows are the call flows the scenarios in testdata implement.
var flows = []string{"answer", "callee_bye", "busy", "cancel"}

// TestScenariosDirect runs every caller/callee scenario pair with no proxy
// in between, over UDP and TCP, with the callee's name checks set to what
// the caller sends. It proves the scenarios themselves (route set, CANCEL,
// ACK branches, the check mechanics) before they judge the proxy.
func TestScenariosDirect(t *testing.T) {
	needSIPp(t)
	c := caller{User: "0301234567", Display: `"0301234567"`, PAI: "0301234567"}
	chk := nameCheck{From: displayRE(`"0301234567"`), PAI: noDisplayRE("0301234567"), RPID: noDisplayRE("0301234567")}
	for _, tr := range transports {
		for _, flow := range flows {
			t.Run(tr.Name+"/"+flow, func(t *testing.T) {
				port := freePort(t)
				uas := startUAS(t, renderUAS(t, flow, chk), tr, port, 1)
				uac := runUAC(t, flow, tr, fmt.Sprintf("127.0.0.1:%d", port), "100", c)
				if code := uas.wait(t); code != 0 {
					t.Fatalf("uas exit %d\n%s", code, uas.report())
				}
				if uac.code != 0 {
					t.Fatalf("uac exit %d\n%s", uac.code, uac.report())
				}
			})
		}
	}
}

// TestNameCheckFailsOnMismatch proves that the callee's check is not
// decorative: expecting a name the caller did not send fails the call and
// sipp exits 1, for each checked header.
func TestNameCheckFailsOnMismatch(t *testing.T) {
	needSIPp(t)
	c := caller{User: "0301234567", Display: `"Alice Example"`, PAI: "0301234567"}
	right := nameCheck{From: displayRE(`"Alice Example"`), PAI: noDisplayRE("0301234567"), RPID: noDisplayRE("0301234567")}
	cases := []struct {
		name string
		mod  func(*nameCheck)
	}{
		{"from", func(n *nameCheck) { n.From = displayRE(`"Alice Exampl"`) }},
		{"pai", func(n *nameCheck) { n.PAI = displayRE(`"Alice Example"`) }},
		{"rpid", func(n *nameCheck) { n.RPID = noDisplayRE("0301234568") }},
	}
	tr := transports[0]
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chk := right
			tc.mod(&chk)
			port := freePort(t)
			uas := startUAS(t, renderUAS(t, "busy", chk), tr, port, 1)
			runUAC(t, "busy", tr, fmt.Sprintf("127.0.0.1:%d", port), "100", c)
			if code := uas.wait(t); code != 1 {
				t.Fatalf("uas exit %d, want 1 (failed call)\n%s", code, uas.report())
			}
			errs := uas.report()
			if !strings.Contains(errs, "Failed regexp match") {
				t.Fatalf("uas error log does not name the failed check:\n%s", errs)
			}
		})
	}
	// Controls: the exact names pass, including quotes, backslashes and a
	// "+" (regexp and SIPp escaping).
	esc := caller{User: "+49301234567", Display: `"A \"B\" C\\"`, PAI: "+49301234567"}
	controls := []struct {
		name string
		c    caller
		chk  nameCheck
		code int
	}{
		{"control", c, right, 0},
		{"control_escaped", esc, nameCheck{From: displayRE(esc.Display), PAI: noDisplayRE(esc.PAI), RPID: noDisplayRE(esc.PAI)}, 0},
		{"escaped_unescaped_quote", esc, nameCheck{From: displayRE(`"A "B" C\\"`)}, 1},
		{"escaped_single_backslash", esc, nameCheck{From: displayRE(`"A \"B\" C\"`)}, 1},
		{"plus_as_digit", esc, nameCheck{PAI: noDisplayRE("49301234567")}, 1},
	}
	for _, tc := range controls {
		t.Run(tc.name, func(t *testing.T) {
			port := freePort(t)
			uas := startUAS(t, renderUAS(t, "busy", tc.chk), tr, port, 1)
			runUAC(t, "busy", tr, fmt.Sprintf("127.0.0.1:%d", port), "100", tc.c)
			if code := uas.wait(t); code != tc.code {
				t.Fatalf("uas exit %d, want %d\n%s", code, tc.code, uas.report())
			}
		})
	}
}
