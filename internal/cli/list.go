package cli

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/vault"
)

// ListOptions are the inputs of `mysafe list`.
type ListOptions struct {
	F      *Factory
	Tags   []string
	Search string
	Shared bool
	JSON   bool
	Unused string // "90d": only API secrets not used for that long
	Sort   string // name, last-use or updated
}

// NewCmdList builds `mysafe list`.
func NewCmdList(f *Factory) *cobra.Command {
	opts := &ListOptions{F: f}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List API secrets, sorted by name",
		Long: `List API secrets as a table sorted by name. Every --tag given must match;
--search matches name, identifier, URL, client ID and notes, ignoring case.
Client secrets are never listed.`,
		Example: "  mysafe list --tag prod --search payments\n  mysafe list --json | jq -r '.[].name'",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return listRun(opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Tags, "tag", nil, "only API secrets with this tag (repeatable; all must match)")
	cmd.Flags().StringVar(&opts.Search, "search", "", "only API secrets whose name, identifier, URL, client ID or notes contain `TEXT`")
	cmd.Flags().BoolVar(&opts.Shared, "shared", false, "only API secrets shared with others or by others")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array")
	cmd.Flags().StringVar(&opts.Unused, "unused", "", "only API secrets nobody used for this long (e.g. 90d), or never")
	cmd.Flags().StringVar(&opts.Sort, "sort", "name", "order: name, last-use (most recent first, never used last) or updated (most recent first)")
	return cmd
}

func listRun(o *ListOptions) error {
	for _, t := range o.Tags {
		if err := secret.ValidateTag(t); err != nil {
			return err
		}
	}
	var unusedSince time.Time
	if o.Unused != "" {
		d, err := audit.ParseAge(o.Unused)
		if err != nil {
			return usageErr("--unused: " + err.Error())
		}
		unusedSince = o.F.Now().Add(-d)
	}
	if !slices.Contains(listSorts, o.Sort) {
		return usageErr(fmt.Sprintf("--sort: unknown order %q (want %s)", o.Sort, strings.Join(listSorts, ", ")))
	}
	// Records are decrypted and filtered one at a time, and only what is
	// shown is kept of them, copied: a large vault lists in little memory.
	search := strings.ToLower(o.Search)
	var rows listRows
	if err := o.F.ViewWhole(func(tx *vault.Tx) error {
		n, err := tx.Len()
		if err != nil {
			return err
		}
		rows.order = make([]rowKey, 0, n)
		// The JSON keeps the records' own strings; the table copies the
		// few it shows, so it reads records in place (EachView).
		each := tx.EachView
		if o.JSON {
			each = tx.Each
		}
		return each(func(r *secret.Record) error {
			if keepRecord(r, o.Tags, search, o.Shared) && (unusedSince.IsZero() || r.LastUsedAt.Before(unusedSince)) {
				rows.add(r, o.JSON, o.Sort)
			}
			return nil
		})
	}); err != nil {
		return err
	}
	rows.sortByName()
	if o.Sort != "name" {
		slices.SortStableFunc(rows.order, func(a, b rowKey) int { return b.l.when.Compare(a.l.when) })
	}
	if o.JSON {
		out := make([]secret.JSON, len(rows.order))
		for i, k := range rows.order {
			out[i] = *k.l.json
		}
		_, err := o.F.IO.Out.Write(secret.AppendJSONList(make([]byte, 0, 640*len(out)+4), out))
		return err
	}
	return rows.writeTable(o.F.IO.Out)
}

// listSorts are the orders list --sort accepts. It is read, never changed.
var listSorts = []string{"name", "last-use", "updated"}

// listHeader is the first line of the table of `list`.
var listHeader = [...]string{"NAME", "IDENTIFIER", "URL", "METHOD", "TAGS", "OWNER", "LAST USE"}

// listRows is what list keeps of the records it shows. Of each record it
// copies into large shared blocks only its table cells (escaped for the
// terminal) and what it sorts by, so it neither keeps nor allocates whole
// records, and it may be given records whose strings the next record
// overwrites.
type listRows struct {
	order  []rowKey // the rows, sorted by sortByName
	block  []listed // the rows, in blocks of many
	arena  []byte   // the rows' text, in blocks of many
	row    []byte   // the row being made
	widths [len(listHeader)]int
}

// listed is one row: its text is the cells, one after the other, then the
// record's name in lower case (when that differs from the name), its
// name and its id. The JSON of the record is kept instead of cells when
// list prints JSON.
type listed struct {
	text            []byte
	ends, widths    [len(listHeader)]uint32 // where each cell ends and how many columns it takes
	nameAt, nameEnd uint32
	when            time.Time // the time --sort orders by, if it orders by one
	json            *secret.JSON
}

// rowKey is a row with the first bytes of its lower-case name, which
// decide most comparisons of a sort by name without reading the row.
type rowKey struct {
	prefix [2]uint64
	l      *listed
}

func (rs *listRows) add(r *secret.Record, asJSON bool, sortBy string) {
	if len(rs.block) == cap(rs.block) {
		rs.block = make([]listed, 0, 1024)
	}
	rs.block = append(rs.block, listed{})
	l := &rs.block[len(rs.block)-1]
	switch sortBy {
	case "last-use":
		l.when = r.LastUsedAt
	case "updated":
		l.when = r.UpdatedAt
	}
	b := rs.row[:0]
	if asJSON {
		j := r.ToJSON()
		l.json = &j
	} else {
		// A cell is escaped before it is measured (display.Width
		// measures escaped text); the tags are escaped one by one, a
		// comma needing no escaping.
		for c := range listHeader {
			start, w := len(b), 0
			switch c {
			case 4:
				b, w = appendTags(b, r.Tags)
			case 6:
				b = appendLastUse(b, r.LastUsedAt)
				w = len(b) - start
			default:
				v := display.Safe([...]string{r.Name, dash(r.Identifier), r.URL, dash(r.Method), "", r.Owner}[c])
				b, w = append(b, v...), display.Width(v)
			}
			l.ends[c], l.widths[c] = uint32(len(b)), uint32(w)
			rs.widths[c] = max(rs.widths[c], w)
		}
	}
	lowerAt := len(b)
	b = appendLower(b, r.Name)
	l.nameAt = uint32(len(b))
	if string(b[lowerAt:]) == r.Name {
		l.nameAt = uint32(lowerAt) // the name is its own lower case
	} else {
		b = append(b, r.Name...)
	}
	l.nameEnd = uint32(len(b))
	b = append(b, r.ID...)
	rs.row = b
	if cap(rs.arena)-len(rs.arena) < len(b) {
		rs.arena = make([]byte, 0, max(256<<10, len(b)))
	}
	at := len(rs.arena)
	rs.arena = append(rs.arena, b...)
	l.text = rs.arena[at:len(rs.arena):len(rs.arena)]
	var prefix [16]byte
	copy(prefix[:], l.lower())
	rs.order = append(rs.order, rowKey{[2]uint64{binary.BigEndian.Uint64(prefix[:8]), binary.BigEndian.Uint64(prefix[8:])}, l})
}

// appendTags appends the tags cell (the tags, escaped, joined by commas,
// or "-" for none) and returns its width.
func appendTags(b []byte, tags []string) ([]byte, int) {
	if len(tags) == 0 || len(tags) == 1 && tags[0] == "" {
		return append(b, '-'), 1
	}
	w := len(tags) - 1
	for i, t := range tags {
		if i > 0 {
			b = append(b, ',')
		}
		t = display.Safe(t)
		b, w = append(b, t...), w+display.Width(t)
	}
	return b, w
}

// appendLower appends strings.ToLower(s), without allocating when s is ASCII.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return append(b, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

func (l *listed) cellsEnd() uint32 {
	if l.json != nil {
		return 0
	}
	return l.ends[len(l.ends)-1]
}

// lower, name and id are the record's name in lower case, its name and id.
func (l *listed) lower() []byte {
	if l.nameAt == l.cellsEnd() {
		return l.text[l.nameAt:l.nameEnd]
	}
	return l.text[l.cellsEnd():l.nameAt]
}

func (l *listed) name() []byte { return l.text[l.nameAt:l.nameEnd] }
func (l *listed) id() []byte   { return l.text[l.nameEnd:] }

// sortByName sorts the rows as sortRecords sorts records: by name without
// regard to case, then by name, then by id.
func (rs *listRows) sortByName() {
	slices.SortFunc(rs.order, func(a, b rowKey) int {
		if c := cmp.Compare(a.prefix[0], b.prefix[0]); c != 0 {
			return c
		}
		if c := cmp.Compare(a.prefix[1], b.prefix[1]); c != 0 {
			return c
		}
		if c := bytes.Compare(a.l.lower(), b.l.lower()); c != 0 {
			return c
		}
		if c := bytes.Compare(a.l.name(), b.l.name()); c != 0 {
			return c
		}
		return bytes.Compare(a.l.id(), b.l.id())
	})
}

// writeTable writes the table of `list`: the header, then the rows in
// their order, in columns two spaces apart, each as wide as its widest
// cell, with no trailing spaces.
func (rs *listRows) writeTable(w io.Writer) error {
	widths := rs.widths
	for c, h := range listHeader {
		widths[c] = max(widths[c], len(h))
	}
	buf := make([]byte, 0, 64<<10)
	for c, h := range listHeader {
		if c > 0 {
			buf = appendSpaces(buf, widths[c-1]-len(listHeader[c-1])+2)
		}
		buf = append(buf, h...)
	}
	buf = append(buf, '\n')
	for _, k := range rs.order {
		l := k.l
		start := uint32(0)
		for c, end := range l.ends {
			if c > 0 {
				buf = appendSpaces(buf, widths[c-1]-int(l.widths[c-1])+2)
			}
			buf = append(buf, l.text[start:end]...)
			start = end
		}
		buf = append(buf, '\n')
		if len(buf) > 60<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err := w.Write(buf)
	return err
}

// appendSpaces appends n spaces.
func appendSpaces(b []byte, n int) []byte {
	for ; n > len(spaces); n -= len(spaces) {
		b = append(b, spaces...)
	}
	return append(b, spaces[:n]...)
}
