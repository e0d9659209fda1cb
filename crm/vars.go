package crm

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"cidproxy/crm/template"
)

// TimeLayout is the "PBX system time format" used for {{.Time}}.
const TimeLayout = "2006-01-02 15:04:05"

// merge copies src into v, overwriting, and returns v.
func merge[V any](v template.Vars, src map[string]V) template.Vars {
	for k, s := range src {
		v[k] = s
	}
	return v
}

// field returns the string variable k of v ("" when absent or not a string).
func field(v template.Vars, k string) string {
	s, _ := v[k].(string)
	return s
}

// extract applies outputs to a response body. A body that is not JSON
// gives template.ErrNotJSON alone: the wrapped message quotes the body
// (personal data).
func extract(outputs []*template.Output, body []byte, vars template.Vars) ([]template.Record, error) {
	recs, err := template.Extract(outputs, body, vars)
	if errors.Is(err, template.ErrNotJSON) {
		err = template.ErrNotJSON
	}
	return recs, err
}

// journalVars returns the CallJournal/CreateNewTicket variables of the seed
// for r (Subject and Description are added by the scenario). loc is the PBX
// time zone for {{.Time}}.
func (r CallRecord) journalVars(loc *time.Location) template.Vars {
	if loc == nil {
		loc = time.Local
	}
	talk := time.Duration(0)
	if !r.Answer.IsZero() && r.End.After(r.Answer) {
		talk = r.End.Sub(r.Answer).Truncate(time.Second)
	}
	total := time.Duration(0)
	if r.End.After(r.Start) {
		total = r.End.Sub(r.Start).Truncate(time.Second)
	}
	v := template.Vars{
		"Time":                r.Start.In(loc).Format(TimeLayout),
		"StartTimeUnix":       unix(r.Start),
		"EndTimeUnix":         unix(r.End),
		"CallerName":          r.CallerName,
		"CallerNumber":        r.CallerNumber,
		"CallerDisplayName":   r.CallerName,
		"CalleeName":          r.CalleeName,
		"CalleeNumber":        r.CalleeNumber,
		"Call_From":           party(r.CallerName, r.CallerNumber),
		"Call_To":             party(r.CalleeName, r.CalleeNumber),
		"CrmId":               r.CrmUserID,
		"ExtensionNumber":     r.Extension.Number,
		"ExtensionFirstName":  r.Extension.FirstName,
		"ExtensionLastName":   r.Extension.LastName,
		"ExtensionEmail":      r.Extension.Email,
		"ContactNumber":       r.ContactNumber,
		"TicketId":            r.TicketID,
		"CallDuration":        strconv.Itoa(int(total.Seconds())),
		"Talk_Duration":       hms(talk),
		"Talk_Duration_Sec":   strconv.Itoa(int(talk.Seconds())),
		"Talk_Duration_MMSS":  fmt.Sprintf("%02d:%02d", int(talk.Minutes()), int(talk.Seconds())%60),
		"Communication_Type":  r.Direction,
		"Call_Status":         r.status(),
		"Call_Log_Status":     r.logStatus(),
		"CallDisposition":     r.disposition(),
		"EnableCallRecording": flag(r.RecordingEnabled),
		"RecordPath":          r.RecordPath,
		"ContactSyncType":     "",
		"ContactId":           "",
	}
	if r.Contact != nil {
		v["ContactSyncType"] = r.Contact.Type
		v["ContactId"] = r.Contact.ID
	}
	return v
}

func unix(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// party formats "Name <number>" (the seed's Call_From format), or the bare
// number when there is no name.
func party(name, number string) string {
	if name == "" || name == number {
		return number
	}
	return name + " <" + number + ">"
}

func hms(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func (r CallRecord) disposition() string {
	switch {
	case r.Disposition != "":
		return r.Disposition
	case r.Voicemail:
		return DispositionVoicemail
	case !r.Answer.IsZero():
		return DispositionAnswered
	}
	return DispositionNoAnswer
}

// status is Call_Status: Completed when answered, else Missed.
func (r CallRecord) status() string {
	if r.disposition() == DispositionAnswered {
		return "Completed"
	}
	return "Missed"
}

// logStatus is Call_Log_Status: Voicemail, Missed Call, Outgoing Call or
// Incoming Call.
func (r CallRecord) logStatus() string {
	switch d := r.disposition(); {
	case d == DispositionVoicemail:
		return "Voicemail"
	case r.Direction == DirectionOutbound:
		return "Outgoing Call"
	case d != DispositionAnswered:
		return "Missed Call"
	}
	return "Incoming Call"
}
