package phonedir

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// Structs mirroring the vendor schemas; tests decode output into them.

type yealinkDir struct {
	XMLName xml.Name `xml:"YealinkIPPhoneDirectory"`
	Entries []struct {
		Name       string `xml:"Name"`
		Telephones []struct {
			Label  string `xml:"label,attr"`
			Number string `xml:",chardata"`
		} `xml:"Telephone"`
	} `xml:"DirectoryEntry"`
}

type grandstreamBook struct {
	XMLName xml.Name `xml:"AddressBook"`
	Version int      `xml:"version"`
	Groups  []struct {
		ID   int    `xml:"id"`
		Name string `xml:"name"`
	} `xml:"pbgroup"`
	Contacts []struct {
		LastName  string `xml:"LastName"`
		FirstName string `xml:"FirstName"`
		Phones    []struct {
			Type         string `xml:"type,attr"`
			PhoneNumber  string `xml:"phonenumber"`
			AccountIndex int    `xml:"accountindex"`
		} `xml:"Phone"`
		Mail struct {
			Type    string `xml:"type,attr"`
			Address string `xml:",chardata"`
		} `xml:"Mail"`
		Company string `xml:"Company"`
		Group   int    `xml:"Group"`
	} `xml:"Contact"`
}

type snomDir struct {
	XMLName xml.Name `xml:"SnomIPPhoneDirectory"`
	Title   string   `xml:"Title"`
	Prompt  string   `xml:"Prompt"`
	Entries []struct {
		Name      string `xml:"Name"`
		Telephone string `xml:"Telephone"`
	} `xml:"DirectoryEntry"`
}

type ciscoDir struct {
	XMLName xml.Name `xml:"CiscoIPPhoneDirectory"`
	Title   string   `xml:"Title"`
	Prompt  string   `xml:"Prompt"`
	Entries []struct {
		Name      string `xml:"Name"`
		Telephone string `xml:"Telephone"`
	} `xml:"DirectoryEntry"`
	SoftKeys []struct {
		Name     string `xml:"Name"`
		URL      string `xml:"URL"`
		Position int    `xml:"Position"`
	} `xml:"SoftKeyItem"`
}

type ciscoInput struct {
	XMLName xml.Name `xml:"CiscoIPPhoneInput"`
	Title   string   `xml:"Title"`
	Prompt  string   `xml:"Prompt"`
	URL     string   `xml:"URL"`
	Items   []struct {
		DisplayName      string `xml:"DisplayName"`
		QueryStringParam string `xml:"QueryStringParam"`
		DefaultValue     string `xml:"DefaultValue"`
		InputFlags       string `xml:"InputFlags"`
	} `xml:"InputItem"`
}

type plainDir struct {
	XMLName  xml.Name `xml:"Directory"`
	Title    string   `xml:"title,attr"`
	Total    int      `xml:"total,attr"`
	Offset   int      `xml:"offset,attr"`
	Contacts []struct {
		ID        string `xml:"id,attr"`
		Name      string `xml:"Name"`
		FirstName string `xml:"FirstName"`
		LastName  string `xml:"LastName"`
		Company   string `xml:"Company"`
		Email     string `xml:"Email"`
		Numbers   []struct {
			Type   string `xml:"type,attr"`
			Label  string `xml:"label,attr"`
			Number string `xml:",chardata"`
		} `xml:"Number"`
	} `xml:"Contact"`
}

// schemas lists, per root element, every element path and attribute the
// vendor documents; checkSchema rejects anything else.
var schemas = map[string]map[string]bool{
	"YealinkIPPhoneDirectory": set("YealinkIPPhoneDirectory", "YealinkIPPhoneDirectory/DirectoryEntry",
		"YealinkIPPhoneDirectory/DirectoryEntry/Name", "YealinkIPPhoneDirectory/DirectoryEntry/Telephone",
		"YealinkIPPhoneDirectory/DirectoryEntry/Telephone@label"),
	// Grandstream GXP XML Phonebook Guide: <pbgroup> groups, and Mail
	// (type Work/Home/Others), Company and Group in a Contact.
	"AddressBook": set("AddressBook", "AddressBook/version", "AddressBook/pbgroup", "AddressBook/pbgroup/id",
		"AddressBook/pbgroup/name", "AddressBook/Contact", "AddressBook/Contact/LastName",
		"AddressBook/Contact/FirstName", "AddressBook/Contact/Phone", "AddressBook/Contact/Phone@type",
		"AddressBook/Contact/Phone/phonenumber", "AddressBook/Contact/Phone/accountindex",
		"AddressBook/Contact/Mail", "AddressBook/Contact/Mail@type", "AddressBook/Contact/Company", "AddressBook/Contact/Group"),
	"SnomIPPhoneDirectory": set("SnomIPPhoneDirectory", "SnomIPPhoneDirectory/Title", "SnomIPPhoneDirectory/Prompt",
		"SnomIPPhoneDirectory/DirectoryEntry", "SnomIPPhoneDirectory/DirectoryEntry/Name",
		"SnomIPPhoneDirectory/DirectoryEntry/Telephone"),
	"CiscoIPPhoneDirectory": set("CiscoIPPhoneDirectory", "CiscoIPPhoneDirectory/Title", "CiscoIPPhoneDirectory/Prompt",
		"CiscoIPPhoneDirectory/DirectoryEntry", "CiscoIPPhoneDirectory/DirectoryEntry/Name",
		"CiscoIPPhoneDirectory/DirectoryEntry/Telephone", "CiscoIPPhoneDirectory/SoftKeyItem",
		"CiscoIPPhoneDirectory/SoftKeyItem/Name", "CiscoIPPhoneDirectory/SoftKeyItem/URL",
		"CiscoIPPhoneDirectory/SoftKeyItem/Position"),
	"CiscoIPPhoneInput": set("CiscoIPPhoneInput", "CiscoIPPhoneInput/Title", "CiscoIPPhoneInput/Prompt",
		"CiscoIPPhoneInput/URL", "CiscoIPPhoneInput/InputItem", "CiscoIPPhoneInput/InputItem/DisplayName",
		"CiscoIPPhoneInput/InputItem/QueryStringParam", "CiscoIPPhoneInput/InputItem/DefaultValue",
		"CiscoIPPhoneInput/InputItem/InputFlags"),
	"Directory": set("Directory", "Directory@title", "Directory@total", "Directory@offset", "Directory/Contact",
		"Directory/Contact@id", "Directory/Contact/Name", "Directory/Contact/FirstName", "Directory/Contact/LastName",
		"Directory/Contact/Company", "Directory/Contact/Email", "Directory/Contact/Number",
		"Directory/Contact/Number@type", "Directory/Contact/Number@label"),
}

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// checkSchema parses data strictly and checks that it has an XML
// declaration, one root of the given name, and only the documented
// elements and attributes.
func checkSchema(data []byte, root string) error {
	if !bytes.HasPrefix(data, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		return errors.New("missing XML declaration")
	}
	allowed := schemas[root]
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var path []string
	roots := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			p := strings.Join(path, "/")
			if len(path) == 1 {
				roots++
			}
			if !allowed[p] {
				return errors.New("undocumented element " + p)
			}
			for _, a := range t.Attr {
				if !allowed[p+"@"+a.Name.Local] {
					return errors.New("undocumented attribute " + p + "@" + a.Name.Local)
				}
			}
		case xml.EndElement:
			path = path[:len(path)-1]
		}
	}
	if roots != 1 {
		return errors.New("want exactly one root element")
	}
	return nil
}

func TestCheckSchemaRejects(t *testing.T) {
	bad := []string{
		`<YealinkIPPhoneDirectory/>`,
		`<?xml version="1.0" encoding="UTF-8"?>` + "\n<YealinkIPPhoneDirectory><Foo/></YealinkIPPhoneDirectory>",
		`<?xml version="1.0" encoding="UTF-8"?>` + "\n<YealinkIPPhoneDirectory><DirectoryEntry><Name>&</Name></DirectoryEntry></YealinkIPPhoneDirectory>",
		`<?xml version="1.0" encoding="UTF-8"?>` + "\n<YealinkIPPhoneDirectory x=\"1\"/>",
	}
	for _, b := range bad {
		if err := checkSchema([]byte(b), "YealinkIPPhoneDirectory"); err == nil {
			t.Errorf("accepted %q", b)
		}
	}
}
