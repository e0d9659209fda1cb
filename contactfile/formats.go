package contactfile

import (
	"strings"

	"cidproxy/lookup"
)

// outlookColumns maps Outlook's CSV export (English and German Outlook).
var outlookColumns = map[string]column{}

func init() {
	add := func(c column, names ...string) {
		for _, n := range names {
			outlookColumns[n] = c
		}
	}
	add(set(func(c *lookup.Contact) *string { return &c.FirstName }), "First Name", "Vorname")
	add(set(func(c *lookup.Contact) *string { return &c.LastName }), "Last Name", "Nachname")
	add(set(func(c *lookup.Contact) *string { return &c.Company }), "Company", "Firma")
	add(set(func(c *lookup.Contact) *string { return &c.Email }), "E-mail Address", "E-Mail-Adresse")
	add(set(func(c *lookup.Contact) *string { return &c.Remark }), "Notes", "Notizen")
	add(set(func(c *lookup.Contact) *string { return &c.Street }), "Business Street", "Straße geschäftlich")
	add(set(func(c *lookup.Contact) *string { return &c.City }), "Business City", "Ort geschäftlich")
	add(set(func(c *lookup.Contact) *string { return &c.State }), "Business State", "Region geschäftlich")
	add(set(func(c *lookup.Contact) *string { return &c.Zip }), "Business Postal Code", "Postleitzahl geschäftlich")
	add(set(func(c *lookup.Contact) *string { return &c.Country }), "Business Country/Region", "Land/Region geschäftlich")
	add(phone("business"), "Business Phone", "Business Phone 2", "Company Main Phone", "Telefon geschäftlich", "Telefon geschäftlich 2", "Telefon Firma")
	add(phone("mobile"), "Mobile Phone", "Mobiltelefon")
	add(phone("home"), "Home Phone", "Home Phone 2", "Telefon privat", "Telefon privat 2")
	add(phone("bfax"), "Business Fax", "Fax geschäftlich")
	add(phone("hfax"), "Home Fax", "Fax privat")
	add(phone("other"), "Other Phone", "Primary Phone", "Car Phone", "Weiteres Telefon", "Haupttelefon", "Autotelefon")
}

// googleColumns maps a Google Contacts export: the current one ("First
// Name", "Organization Name", "Phone 1 - Label") and the older one
// ("Given Name", "Organization 1 - Name", "Phone 1 - Type"). Phone
// values may hold several numbers separated by " ::: ".
func googleColumns(head []string) []column {
	plain := map[string]column{
		"First Name":              set(func(c *lookup.Contact) *string { return &c.FirstName }),
		"Given Name":              set(func(c *lookup.Contact) *string { return &c.FirstName }),
		"Last Name":               set(func(c *lookup.Contact) *string { return &c.LastName }),
		"Family Name":             set(func(c *lookup.Contact) *string { return &c.LastName }),
		"Organization Name":       set(func(c *lookup.Contact) *string { return &c.Company }),
		"Organization 1 - Name":   set(func(c *lookup.Contact) *string { return &c.Company }),
		"E-mail 1 - Value":        set(func(c *lookup.Contact) *string { return &c.Email }),
		"Notes":                   set(func(c *lookup.Contact) *string { return &c.Remark }),
		"Address 1 - Street":      set(func(c *lookup.Contact) *string { return &c.Street }),
		"Address 1 - City":        set(func(c *lookup.Contact) *string { return &c.City }),
		"Address 1 - Region":      set(func(c *lookup.Contact) *string { return &c.State }),
		"Address 1 - Postal Code": set(func(c *lookup.Contact) *string { return &c.Zip }),
		"Address 1 - Country":     set(func(c *lookup.Contact) *string { return &c.Country }),
	}
	// Phone N - Label/Type says the kind of the Phone N - Value next to it.
	labelOf := map[string]int{}
	for i, h := range head {
		if n, ok := strings.CutSuffix(h, " - Label"); ok && strings.HasPrefix(n, "Phone ") {
			labelOf[n] = i
		} else if n, ok := strings.CutSuffix(h, " - Type"); ok && strings.HasPrefix(n, "Phone ") {
			labelOf[n] = i
		}
	}
	cols := make([]column, len(head))
	for i, h := range head {
		cols[i] = plain[h]
		n, ok := strings.CutSuffix(h, " - Value")
		if !ok || !strings.HasPrefix(n, "Phone ") {
			continue
		}
		li, hasLabel := labelOf[n]
		cols[i] = func(r *Row, v string, rec []string) {
			kind := "other"
			if hasLabel && li < len(rec) {
				kind = googleKind(rec[li])
			}
			phone(kind)(r, v, rec)
		}
	}
	return cols
}

// googleKind maps a Google phone label ("Mobile", "Work", "* Work Fax").
func googleKind(label string) string {
	l := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(label), "* "))
	switch {
	case strings.Contains(l, "fax") && strings.Contains(l, "home"):
		return "hfax"
	case strings.Contains(l, "fax"):
		return "bfax"
	case strings.Contains(l, "mobile"), strings.Contains(l, "cell"), strings.Contains(l, "handy"):
		return "mobile"
	case strings.Contains(l, "work"), strings.Contains(l, "main"), strings.Contains(l, "business"):
		return "business"
	case strings.Contains(l, "home"):
		return "home"
	}
	return "other"
}
