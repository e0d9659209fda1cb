// Package storetest generates deterministic contact and prefix-rule CSV
// files for tests and benchmarks (the same n and seed always give the same
// bytes).
package storetest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

var (
	firstNames = []string{"Anna", "Ben", "Clara", "David", "Elif", "Finn", "Greta", "Hamid", "Ida", "Jonas", "Katrin", "Lukas", "Mia", "Noah", "Olga", "Paul", "Zoë", "José", "Jürgen", "Søren"}
	lastNames  = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "O'Brien", "Nguyen", "Yılmaz", "Kowalski", "García", "Rossi"}
	companies  = []string{"ACME GmbH", "Globex AG", "Initech", "Umbrella KG", "Hooli", "Stark & Söhne", "Wayne, Inc.", "\"Quoted\" Ltd"}
	cities     = []string{"Berlin", "Hamburg", "München", "Köln", "Frankfurt"}
)

// ContactsHeader is the header WriteContactsCSV writes.
const ContactsHeader = "first_name,last_name,company,email,business_number,mobile_number,home_number,zip,city,country,remark"

// Number returns the business number of contact i as written in the CSV
// ("+49 30 NNNNNNNN" style, unique per i); Mobile returns its mobile number
// in national form ("0171 NNNNNNN").
func Number(i int) string { return fmt.Sprintf("+49 30 %08d", i*7919%100_000_000) }

// Mobile returns the mobile number of contact i in national form.
func Mobile(i int) string { return fmt.Sprintf("0171 %07d", i) }

// Name returns the display name of contact i.
func Name(i int, seed uint64) string {
	r := rowRand(i, seed)
	return firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
}

func rowRand(i int, seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, uint64(i))) }

// WriteContactsCSV writes n contacts with the ContactsHeader columns.
// Contact i has the business number Number(i), the mobile number
// Mobile(i), the display name Name(i, seed), and every third one a home
// number in 0049 form.
func WriteContactsCSV(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(ContactsHeader + "\n")
	for i := 0; i < n; i++ {
		r := rowRand(i, seed)
		first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		home := ""
		if i%3 == 0 {
			home = fmt.Sprintf("0049 40 %07d", i)
		}
		fields := []string{first, last, companies[r.IntN(len(companies))],
			strings.ToLower(fmt.Sprintf("c%d@example.com", i)), Number(i), Mobile(i), home,
			fmt.Sprintf("%05d", r.IntN(99999)), cities[r.IntN(len(cities))], "DE", "generated"}
		for j, f := range fields {
			if j > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(quote(f))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteRulesCSV writes n prefix rules "+4989NNNNN" -> "Rule N".
func WriteRulesCSV(w io.Writer, n int) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("prefix,name\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(bw, "+4989%05d*,Rule %d\n", i, i)
	}
	return bw.Flush()
}

func quote(s string) string {
	if !strings.ContainsAny(s, ",\"\n\r") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
