package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ExportJSON is one object of `mysafe export --format json`: the JSON
// shape of `list --json`, in its documented order, plus the client secret,
// in clear. Its members are those of the portable record (Portable), which
// is what `mysafe import --format json` reads back, and the vault-local
// ones an import leaves to the importing vault.
//
// JSON strings are Unicode text, and a client secret is bytes. A secret that
// is valid UTF-8 is written as client_secret; one that is not (binary key
// material, a Latin-1 password) is written as client_secret_base64, in
// standard base64 with padding, and client_secret is then empty, so an
// export and import gives back every byte.
type ExportJSON struct {
	JSON
	ClientSecret       string `json:"client_secret"`
	ClientSecretBase64 string `json:"client_secret_base64,omitempty"`
}

// csvColumns are the columns of the CSV export and import, in order. Tags are
// separated by spaces; access entries by spaces, each name:permission.
var csvColumns = []string{"id", FieldName.Key(), FieldURL.Key(), FieldClientID.Key(), FieldClientSecret.Key(),
	FieldIdentifier.Key(), FieldMethod.Key(), "tags", FieldNotes.Key(), "owner", "created_at", "updated_at",
	"last_used_at", "access", FieldTokenURL.Key(), FieldTokenAuth.Key()}

// ToExport returns the export form of r, client secret included.
func (r *Record) ToExport() ExportJSON {
	e := ExportJSON{JSON: r.ToJSON()}
	if b := r.ClientSecret.Bytes(); utf8.Valid(b) {
		e.ClientSecret = string(b)
	} else {
		e.ClientSecretBase64 = base64.StdEncoding.EncodeToString(b)
	}
	return e
}

// WriteExportCSV writes records as CSV with a header row.
func WriteExportCSV(w io.Writer, recs []*Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return err
	}
	for _, r := range recs {
		e := r.ToExport()
		last := ""
		if e.LastUsedAt != nil {
			last = e.LastUsedAt.Format(time.RFC3339)
		}
		var access []string
		for _, a := range e.Access {
			access = append(access, a.Name+":"+string(a.Permission))
		}
		row := []string{e.ID, e.Name, e.URL, e.ClientID, r.ClientSecret.Reveal(), e.Identifier, e.Method,
			strings.Join(e.Tags, " "), e.Notes, e.Owner, e.CreatedAt.Format(time.RFC3339), e.UpdatedAt.Format(time.RFC3339),
			last, strings.Join(access, " "), e.TokenURL, e.TokenAuth}
		for i := range row {
			row[i] = GuardCSVCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ImportError reports a problem with one entry of an import file.
type ImportError struct {
	Entry int // 1-based: array index + 1, or CSV data row
	Err   error
}

func (e *ImportError) Error() string { return fmt.Sprintf("entry %d: %v", e.Entry, e.Err) }
func (e *ImportError) Unwrap() error { return e.Err }

// importJSON is what an entry of an import file may hold: the portable
// record, and the members an export writes around it (id, owner,
// permission, last use, access), which are accepted and left for the
// importing vault to set, but the last use. Unknown keys are refused so a
// misspelt column is not silently dropped.
type importJSON struct {
	Portable
	ID           string     `json:"id"`
	Owner        string     `json:"owner"`
	Permission   string     `json:"permission"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	Access       any        `json:"access"`
	SecretBase64 *string    `json:"client_secret_base64"`
}

func (j *importJSON) record() *Record {
	r := j.Portable.Record()
	if j.LastUsedAt != nil {
		r.LastUsedAt = *j.LastUsedAt
	}
	return r
}

// ImportItem is one entry of an import file in mysafe's own JSON or CSV:
// the record as far as it could be read, and what kept it from being read
// whole. The record is not yet normalized or validated: the caller adds the
// record's own problems (Record.Problems) once it has filled in what the
// user supplied for the whole file.
type ImportItem struct {
	Entry    int // 1-based: array index + 1, or CSV data row
	Record   *Record
	Problems []error // of reading the entry: unknown keys, wrong types, bad times
}

// DecodeImportJSON reads a JSON array of records, one item per element.
// A problem of one element (an unknown key, a value of the wrong type, bad
// base64) is that item's, and reading goes on; the error is for the file as
// a whole (not an array, broken JSON), an *ImportError when it lies in one
// element. Ids, owners and access lists in the file are ignored: imported
// records belong to the importing vault.
func DecodeImportJSON(rd io.Reader) ([]ImportItem, error) {
	dec := json.NewDecoder(rd)
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		return nil, &FieldError{Field: "json", Msg: "the file is not a JSON array of API secrets"}
	}
	var out []ImportItem
	for i := 1; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, &ImportError{Entry: i, Err: jsonFieldError(err)}
		}
		out = append(out, decodeImportEntry(i, raw))
	}
	if _, err := dec.Token(); err != nil {
		return nil, &FieldError{Field: "json", Msg: "the JSON array is not closed"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &FieldError{Field: "json", Msg: "unexpected data after the JSON array"}
	}
	return out, nil
}

func jsonFieldError(err error) *FieldError {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Struct != "" {
		// Name the member as the file has it: the portable record's Go
		// name is not part of the file's shape, and a client secret is a
		// string there.
		typ := te.Type.String()
		if te.Type == reflect.TypeFor[Clear]() {
			typ = "string"
		}
		return &FieldError{Field: "json", Msg: fmt.Sprintf("cannot unmarshal %s into Go struct field %s.%s of type %s",
			te.Value, te.Struct, strings.TrimPrefix(te.Field, "Portable."), typ)}
	}
	return &FieldError{Field: "json", Msg: strings.TrimPrefix(err.Error(), "json: ")}
}

// decodeImportEntry reads one element of the JSON array. An element that
// does not decode strictly is read again leniently, so that its name and
// every other problem can still be reported.
func decodeImportEntry(i int, raw json.RawMessage) ImportItem {
	item := ImportItem{Entry: i}
	var j importJSON
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&j); err != nil {
		item.Problems = append(item.Problems, jsonFieldError(err))
		j = importJSON{}
		json.Unmarshal(raw, &j) // best effort: the problem is already recorded
	}
	r := j.record()
	if j.SecretBase64 != nil {
		b, err := base64.StdEncoding.DecodeString(*j.SecretBase64)
		switch {
		case err != nil:
			item.Problems = append(item.Problems, &FieldError{Field: "client_secret_base64", Msg: "not standard base64"})
		case !j.ClientSecret.IsZero():
			item.Problems = append(item.Problems, &FieldError{Field: "client_secret_base64", Msg: "give client_secret or client_secret_base64, not both"})
		default:
			r.ClientSecret = NewValueBytes(b)
		}
	}
	item.Record = r
	return item
}

// DecodeImportCSV reads CSV with a header row naming columns from
// csvColumns (any order, any subset that includes name, url and
// client_id), one item per data row. A row with the wrong number of cells
// or a time that does not parse is that item's problem; the error is for
// the file as a whole (its header, or CSV it cannot read on, an
// *ImportError naming the row).
func DecodeImportCSV(rd io.Reader) ([]ImportItem, error) {
	cr := csv.NewReader(rd)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, &FieldError{Field: "csv", Msg: "missing header row"}
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(csvColumns, h) {
			return nil, &FieldError{Field: "csv", Msg: fmt.Sprintf("unknown column %q (known: %s)", h, strings.Join(csvColumns, ", "))}
		}
		col[h] = i
	}
	for _, need := range []string{"name", "url", "client_id"} {
		if _, ok := col[need]; !ok {
			return nil, &FieldError{Field: "csv", Msg: fmt.Sprintf("missing column %q", need)}
		}
	}
	var out []ImportItem
	for i := 1; ; i++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, &ImportError{Entry: i, Err: &FieldError{Field: "csv", Msg: err.Error()}}
		}
		item := ImportItem{Entry: i}
		if len(row) != len(head) {
			item.Problems = append(item.Problems, &FieldError{Field: "csv", Msg: fmt.Sprintf("wrong number of fields: the row has %d, the header %d", len(row), len(head))})
		}
		get := func(c string) string {
			if k, ok := col[c]; ok && k < len(row) {
				return UnguardCSVCell(row[k])
			}
			return ""
		}
		p := Portable{Name: get("name"), URL: get("url"), ClientID: get("client_id"), ClientSecret: Clear{NewValue(get("client_secret"))},
			Identifier: get("identifier"), Method: get("method"), Notes: get("notes"), Tags: strings.Fields(get("tags")),
			TokenURL: get("token_url"), TokenAuth: get("token_auth")}
		var lastUsed time.Time
		for _, tc := range []struct {
			c   string
			dst *time.Time
		}{{"created_at", &p.CreatedAt}, {"updated_at", &p.UpdatedAt}, {"last_used_at", &lastUsed}} {
			if s := get(tc.c); s != "" {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					item.Problems = append(item.Problems, &FieldError{Field: tc.c, Msg: fmt.Sprintf("%q is not an RFC 3339 time", s)})
					continue
				}
				*tc.dst = t
			}
		}
		item.Record = p.Record()
		item.Record.LastUsedAt = lastUsed
		out = append(out, item)
	}
}

// ReadImportJSON reads a JSON array of records, each normalized and
// validated, and stops at the first problem, returned as an *ImportError.
// DecodeImportJSON reads on and reports every problem.
func ReadImportJSON(rd io.Reader) ([]*Record, error) {
	items, err := DecodeImportJSON(rd)
	if err != nil {
		return nil, err
	}
	return strictRecords(items)
}

// ReadImportCSV is ReadImportJSON for CSV (see DecodeImportCSV).
func ReadImportCSV(rd io.Reader) ([]*Record, error) {
	items, err := DecodeImportCSV(rd)
	if err != nil {
		return nil, err
	}
	return strictRecords(items)
}

// strictRecords returns the items' records, normalized, or the first
// problem of any item.
func strictRecords(items []ImportItem) ([]*Record, error) {
	out := make([]*Record, 0, len(items))
	for _, it := range items {
		if len(it.Problems) > 0 {
			return nil, &ImportError{Entry: it.Entry, Err: it.Problems[0]}
		}
		if err := it.Record.Normalize(); err != nil {
			return nil, &ImportError{Entry: it.Entry, Err: err}
		}
		out = append(out, it.Record)
	}
	return out, nil
}

// csvFormulaLeads are the first characters that make a spreadsheet read a
// cell as a formula (or, for tab and carriage return, that some of them
// strip before doing so).
const csvFormulaLeads = "=+-@\t\r"

// GuardCSVCell returns s as it is safe to put in a CSV cell a spreadsheet
// may open: a value that would start a formula (=, +, -, @, tab, carriage
// return), possibly after leading apostrophes, gets one more apostrophe in
// front, which spreadsheets show as text. UnguardCSVCell undoes it exactly.
func GuardCSVCell(s string) string {
	if needsCSVGuard(s) {
		return "'" + s
	}
	return s
}

// UnguardCSVCell reverses GuardCSVCell: UnguardCSVCell(GuardCSVCell(s)) == s
// for every s.
func UnguardCSVCell(s string) string {
	if rest, ok := strings.CutPrefix(s, "'"); ok && needsCSVGuard(rest) {
		return rest
	}
	return s
}

func needsCSVGuard(s string) bool {
	s = strings.TrimLeft(s, "'")
	return s != "" && strings.IndexByte(csvFormulaLeads, s[0]) >= 0
}
