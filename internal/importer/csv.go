package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvRow is one data row of a CSV export, read by column name.
type csvRow struct {
	head []string // lower-case column names
	row  []string
	used map[int]bool
}

// get returns the value of the first of the named columns that exists, and
// marks it as mapped.
func (r *csvRow) get(names ...string) string {
	for _, n := range names {
		for i, h := range r.head {
			if h == n && i < len(r.row) {
				r.used[i] = true
				return r.row[i]
			}
		}
	}
	return ""
}

// rest maps the columns no format rule took by their names, so an
// unexpected column is never dropped.
func (r *csvRow) rest(d *draft) {
	for i, h := range r.head {
		if i < len(r.row) && !r.used[i] {
			d.field(h, r.row[i])
		}
	}
}

// readCSV reads a CSV export with a header row and calls mapRow for each
// data row. A row with the wrong number of columns is a problem of that
// entry; a file that is not CSV at all is an error.
func readCSV(data []byte, mapRow func(r *csvRow, d *draft)) ([]*draft, error) {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, formatErr("no CSV header row: %v", err)
	}
	for i := range head {
		head[i] = strings.ToLower(strings.TrimSpace(head[i]))
	}
	var out []*draft
	for n := 1; ; n++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, formatErr("row %d: %v", n, err)
		}
		d := newDraft(fmt.Sprintf("row %d", n))
		if len(row) != len(head) {
			d.problem("the row has %d columns, the header %d", len(row), len(head))
		}
		r := &csvRow{head: head, row: row, used: make(map[int]bool)}
		mapRow(r, d)
		r.rest(d)
		if d.rec.Name != "" {
			d.where += " (" + d.rec.Name + ")"
		}
		out = append(out, d)
	}
}

// yes reports whether a CSV flag column is set.
func yes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "y":
		return true
	}
	return false
}

// splitList splits a list column on commas (and, for tags, semicolons).
func splitList(v string, seps string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(seps, r) })
}
