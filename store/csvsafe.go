package store

import (
	"slices"
	"strings"

	"cidproxy/lookup"
)

// formulaStart lists the first characters that make a spreadsheet read a
// CSV cell as a formula (OWASP "CSV Injection"): = + - @ tab CR.
const formulaStart = "=+-@\t\r"

// numberChars are the characters of a phone number or prefix as written:
// a cell of only these holds no function, cell reference or DDE call.
const numberChars = "0123456789+-./() *#"

// SafeCSVCell neutralises a value for a CSV export the OWASP way: a value
// that starts like a formula gets a leading single quote, which
// spreadsheets show as text. A phone number or prefix (number true) made
// of digits, "+", "*", "#" and separators only is kept as it is, so
// "+49 30 1234" stays usable; any other number field is treated as text.
// Re-importing an export keeps the quote of a quoted value.
func SafeCSVCell(v string, number bool) string {
	if v == "" || !strings.ContainsRune(formulaStart, rune(v[0])) {
		return v
	}
	if number && strings.Trim(v, numberChars) == "" {
		return v
	}
	return "'" + v
}

// IsNumberColumn reports whether CSV column col holds a phone number.
func IsNumberColumn(col string) bool { return slices.Contains(lookup.NumberFieldNames[:], col) }
