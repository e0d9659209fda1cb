package template

import (
	"strings"
	"unsafe"
)

// Table is an extraction result without a map per record: Rows[i][j] is the
// value of output Names[j] in record i. It is cheaper than []Record for
// callers that copy the values into their own structs.
type Table struct {
	Names []string
	Rows  [][]string
}

// Col returns the column index of name, or -1.
func (t *Table) Col(name string) int {
	for i, n := range t.Names {
		if n == name {
			return i
		}
	}
	return -1
}

// Records converts the table to one map per row (nil when there is none).
func (t *Table) Records() []Record {
	if t == nil || len(t.Rows) == 0 {
		return nil
	}
	recs := make([]Record, len(t.Rows))
	for i, row := range t.Rows {
		r := make(Record, len(t.Names))
		for j, n := range t.Names {
			r[n] = row[j]
		}
		recs[i] = r
	}
	return recs
}

// newTable zips the columns into rows, dropping rows whose values are all
// empty. Values may alias the response body, so they are copied into one
// arena shared by the table.
func newTable(outputs []*Output, cols [][]string, multi []bool, n int) *Table {
	t := &Table{Names: make([]string, 0, len(outputs))}
	at := make([]int, len(outputs)) // output -> column
	for j, o := range outputs {
		at[j] = -1
		if o.Name == "" {
			continue
		}
		if at[j] = t.Col(o.Name); at[j] < 0 {
			at[j] = len(t.Names)
			t.Names = append(t.Names, o.Name)
		}
	}
	if n == 0 || len(t.Names) == 0 {
		return t
	}
	size := 0
	for _, c := range cols {
		for _, v := range c {
			size += len(v)
		}
	}
	arena := make([]byte, 0, size)
	cells := make([]string, n*len(t.Names))
	t.Rows = make([][]string, 0, n)
	for i := 0; i < n; i++ {
		row := cells[len(t.Rows)*len(t.Names) : (len(t.Rows)+1)*len(t.Names)]
		nonEmpty := false
		for j := range outputs {
			var s string
			switch {
			case at[j] < 0:
				continue
			case multi[j] && i < len(cols[j]):
				s = cols[j][i]
			case !multi[j] && len(cols[j]) > 0:
				s = cols[j][0]
			}
			if s == "" {
				continue
			}
			nonEmpty = true
			if len(arena)+len(s) <= cap(arena) {
				start := len(arena)
				arena = append(arena, s...)
				s = unsafe.String(&arena[start], len(s))
			} else {
				s = strings.Clone(s) // scalar outputs repeated in every row
			}
			row[at[j]] = s
		}
		if nonEmpty {
			t.Rows = append(t.Rows, row)
		} else {
			clear(row)
		}
	}
	return t
}
