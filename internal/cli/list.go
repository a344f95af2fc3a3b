package cli

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
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
	rows := listRows{asJSON: o.JSON, sortBy: o.Sort}
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
				rows.add(r)
			}
			return nil
		})
	}); err != nil {
		return err
	}
	rows.sort()
	if o.JSON {
		out := make([]secret.JSON, len(rows.order))
		for i, k := range rows.order {
			out[i] = rows.jsons[rows.rowOf(k.row).json]
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

// listRows is what list keeps of the records it shows: of each record,
// one string (a row) packed with what the table shows of it (its cells,
// escaped for the terminal) and what it is sorted by, and a key that
// decides most comparisons of a sort by name without reading the row. Rows
// are copies, made one after the other in large blocks, so list neither
// keeps nor allocates whole records and may be handed records whose
// strings the next record overwrites.
type listRows struct {
	asJSON bool
	sortBy string
	order  []rowKey
	jsons  []secret.JSON // the records' JSON, when list prints JSON
	arena  strings.Builder
	row    []byte               // the row being made
	cells  []byte               // its cells
	lower  []byte               // its name in lower case
	widths [len(listHeader)]int // of the columns
}

// rowKey is a row with the first 16 bytes of its record's name in lower
// case and the time --sort orders by (nanoseconds; never is the least).
type rowKey struct {
	prefix [2]uint64
	when   int64
	row    string
}

// A row is: the lengths of the lower-case name (0 when it is the name
// itself), of the name and of the id, as uvarints; those three strings;
// then either the index of the record's JSON (a uvarint) or the table's
// cells: the length and the width of each (uvarints), then the cells.
type row struct {
	lower, name, id string
	json            int
	cells           string
	lens, widths    [len(listHeader)]int
}

func (rs *listRows) add(r *secret.Record) {
	lower := appendLower(rs.lower[:0], r.Name)
	rs.lower = lower
	lowerLen := len(lower)
	if string(lower) == r.Name {
		lowerLen = 0
	}
	b := binary.AppendUvarint(rs.row[:0], uint64(lowerLen))
	b = binary.AppendUvarint(b, uint64(len(r.Name)))
	b = binary.AppendUvarint(b, uint64(len(r.ID)))
	b = append(b, lower[:lowerLen]...)
	b = append(b, r.Name...)
	b = append(b, r.ID...)
	if rs.asJSON {
		b = binary.AppendUvarint(b, uint64(len(rs.jsons)))
		rs.jsons = append(rs.jsons, r.ToJSON())
	} else {
		b = rs.appendCells(b, r)
	}
	rs.row = b
	if rs.arena.Cap()-rs.arena.Len() < len(b) {
		rs.arena = strings.Builder{}
		rs.arena.Grow(max(256<<10, len(b)))
	}
	// What a Builder has written stays as it is while it writes more
	// within its capacity: every row is a string of its own.
	at := rs.arena.Len()
	rs.arena.Write(b)
	k := rowKey{row: rs.arena.String()[at:], when: math.MinInt64}
	var prefix [16]byte
	copy(prefix[:], lower)
	k.prefix = [2]uint64{binary.BigEndian.Uint64(prefix[:8]), binary.BigEndian.Uint64(prefix[8:])}
	switch when := r.LastUsedAt; rs.sortBy {
	case "updated":
		when = r.UpdatedAt
		fallthrough
	case "last-use":
		if !when.IsZero() {
			k.when = when.UnixNano()
		}
	}
	rs.order = append(rs.order, k)
}

// appendCells appends the table's cells of r to a row, as row describes
// them. A cell is escaped before it is measured (display.Width measures
// escaped text); the tags are escaped one by one, a comma needing none.
func (rs *listRows) appendCells(b []byte, r *secret.Record) []byte {
	c := rs.cells[:0]
	var lens, widths [len(listHeader)]int
	plain := [len(listHeader)]string{r.Name, dash(r.Identifier), r.URL, dash(r.Method), "", r.Owner, ""}
	for i := range listHeader {
		start, w := len(c), 0
		switch i {
		case 4:
			c, w = appendTags(c, r.Tags)
		case 6:
			c = appendLastUse(c, r.LastUsedAt)
			w = len(c) - start
		default:
			v := display.Safe(plain[i])
			c, w = append(c, v...), display.Width(v)
		}
		lens[i], widths[i] = len(c)-start, w
		rs.widths[i] = max(rs.widths[i], w)
	}
	rs.cells = c
	for _, n := range lens {
		b = binary.AppendUvarint(b, uint64(n))
	}
	if widths == lens {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		for _, w := range widths {
			b = binary.AppendUvarint(b, uint64(w))
		}
	}
	return append(b, c...)
}

// rowOf reads a row made by add.
func (rs *listRows) rowOf(s string) row {
	var rw row
	next := func() int {
		n, w := uvarint(s)
		s = s[w:]
		return n
	}
	lowerLen, nameLen, idLen := next(), next(), next()
	rw.lower, rw.name, rw.id = s[:lowerLen], s[lowerLen:lowerLen+nameLen], s[lowerLen+nameLen:lowerLen+nameLen+idLen]
	if lowerLen == 0 {
		rw.lower = rw.name
	}
	s = s[lowerLen+nameLen+idLen:]
	if rs.asJSON {
		rw.json = next()
		return rw
	}
	for i := range rw.lens {
		rw.lens[i] = next()
	}
	rw.widths = rw.lens
	flag := s[0]
	s = s[1:]
	if flag != 0 {
		for i := range rw.widths {
			rw.widths[i] = next()
		}
	}
	rw.cells = s
	return rw
}

// uvarint decodes a uvarint that add wrote at the start of s.
func uvarint(s string) (int, int) {
	var x uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			return int(x | uint64(c)<<(7*i)), i + 1
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	return 0, len(s) // not made by add
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

// sort sorts the rows as sortRecords sorts records: by name without regard
// to case, then by name, then by id; then, for --sort last-use or updated,
// most recent first, keeping that order among equal times.
func (rs *listRows) sort() {
	slices.SortFunc(rs.order, func(a, b rowKey) int {
		if c := cmp.Compare(a.prefix[0], b.prefix[0]); c != 0 {
			return c
		}
		if c := cmp.Compare(a.prefix[1], b.prefix[1]); c != 0 {
			return c
		}
		ra, rb := rs.rowOf(a.row), rs.rowOf(b.row)
		return compareNames(nameKey{ra.lower, ra.name, ra.id}, nameKey{rb.lower, rb.name, rb.id})
	})
	if rs.sortBy != "name" {
		slices.SortStableFunc(rs.order, func(a, b rowKey) int { return cmp.Compare(b.when, a.when) })
	}
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
		rw := rs.rowOf(k.row)
		cells := rw.cells
		for c, n := range rw.lens {
			if c > 0 {
				buf = appendSpaces(buf, widths[c-1]-rw.widths[c-1]+2)
			}
			buf = append(buf, cells[:n]...)
			cells = cells[n:]
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
