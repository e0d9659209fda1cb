package template

import (
	"math/rand/v2"
	"strings"
)

// hostile generates strings meant to break JSON, URLs, headers and paths.
type hostile struct{ r *rand.Rand }

func newHostile(seed uint64) *hostile { return &hostile{rand.New(rand.NewPCG(seed, 7))} }

var hostileParts = []string{
	`"`, `\`, `/`, `?`, `#`, `&`, `=`, `@`, `%`, `%2F`, `+`, ` `, ":", ";", ",", "'", "<", ">", "{{", "}}",
	"\r\n", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "漢字", "\u2028", "\xff", "\xc3", "😀", "null", "1e5",
	"-0", "true", "}", "]", "{\"a\":1}", "https://evil.example/", "..", "X-Injected: 1", "a", "0",
}

func (h *hostile) next() string {
	if h.r.IntN(50) == 0 {
		return strings.Repeat(hostileParts[h.r.IntN(len(hostileParts))], 10<<10/4)
	}
	var b strings.Builder
	for n := h.r.IntN(8); n >= 0; n-- {
		b.WriteString(hostileParts[h.r.IntN(len(hostileParts))])
	}
	return b.String()
}
