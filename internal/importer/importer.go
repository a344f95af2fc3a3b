// Package importer reads the export files of other password managers and
// secret stores and turns them into mysafe records.
//
// Each source format has its own file: it reads the bytes (or the folder) and
// maps every item onto a draft record. Read then applies what is common to
// all formats: values supplied for the whole file (a URL, a client ID), a
// bare hostname taken as https://HOST, and validation that lists every
// problem of every entry rather than the first one only. Nothing a source
// holds is silently dropped: what has no field of its own goes to the notes.
//
// docs/import.md documents the mapping of each format.
//
// The package knows nothing of the vault or the command line.
package importer

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
)

// MaxFileSize is the largest import file read: far above any real export,
// and a bound on the memory a mistaken or hostile file can take.
const MaxFileSize = 256 << 20

// Source is what is imported: a file's bytes, or a folder.
type Source struct {
	// Name names the source in messages: the path given, or "-" for stdin.
	Name string
	// Data is the file's content; nil for a folder.
	Data []byte
	// Dir is the folder of a pass or gopass store; empty for a file.
	Dir string
}

// Options are what a user supplies for a whole import.
type Options struct {
	// URL and ClientID fill records that have none. A bare hostname in URL
	// is taken as https://HOST.
	URL      string
	ClientID string
	// Password returns the password of a KeePass .kdbx file. It is called
	// once, only for that format.
	Password func() ([]byte, error)
	// KeyFile is the content of a KeePass key file, if the database uses one.
	KeyFile []byte
	// Decrypt returns the plaintext of one .gpg file of a pass or gopass
	// store; GPGDecrypt runs the user's gpg.
	Decrypt func(path string) ([]byte, error)
	// AgeIdentities decrypt the .age files of a gopass store.
	AgeIdentities []age.Identity
	// Progress, when set, is told how many files of a store were read.
	Progress func(done, total int)
}

// Entry is one item of the source, ready to import when Problems is empty.
type Entry struct {
	// Where names the item for messages: "item 3", "row 4", "work/github".
	Where string
	// Record is the mapped record, normalized by secret.Record.Problems.
	Record *secret.Record
	// Problems lists every reason the entry cannot be imported.
	Problems []error
}

// ErrFormat is wrapped by errors about the file as a whole: a format that
// cannot be told, a file that is not what its format says, a wrong
// password.
var ErrFormat = errors.New("unreadable import file")

func formatErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, a...))
}

// ErrPassword is returned for a KeePass database that the password (or key
// file) does not open.
var ErrPassword = errors.New("wrong password or key file for the KeePass database")

// draft is a record being mapped from a source item.
type draft struct {
	where    string
	rec      secret.Record
	extra    []string // lines for the notes, "label: value"
	problems []error
}

func newDraft(where string) *draft { return &draft{where: where} }

// note keeps a value that has no field of its own. Multi-line values are
// indented under their label.
func (d *draft) note(label, value string) {
	value = strings.TrimRight(value, "\r\n\t ")
	if value == "" {
		return
	}
	value = strings.ReplaceAll(value, "\r\n", "\n")
	if strings.Contains(value, "\n") {
		d.extra = append(d.extra, label+":\n  "+strings.ReplaceAll(value, "\n", "\n  "))
		return
	}
	d.extra = append(d.extra, label+": "+value)
}

// tag adds a tag made from a folder or group name: spaces and commas become
// dashes so the name stays one word.
func (d *draft) tag(name string) {
	t := strings.Map(func(r rune) rune {
		if r == ',' || r == ' ' || r == '\t' || r < 0x20 || r == 0x7f {
			return '-'
		}
		return r
	}, strings.TrimSpace(name))
	t = strings.Trim(t, "-")
	if len(t) > secret.MaxTagLen {
		t = t[:secret.MaxTagLen]
		for !utf8.ValidString(t) {
			t = t[:len(t)-1]
		}
	}
	if t != "" && !secret.HasTag(d.rec.Tags, t) {
		d.rec.Tags = append(d.rec.Tags, t)
	}
}

// fill sets a single-valued field the first time a source gives it, and
// keeps a different later value in the notes under label.
func (d *draft) fill(dst *string, label, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return
	}
	if *dst == "" {
		*dst = v
		return
	}
	if v != *dst {
		d.note(label, v)
	}
}

// setURL fills the URL, keeping further ones in the notes.
func (d *draft) setURL(label, u string) { d.fill(&d.rec.URL, label, u) }

// setClientID fills the client ID, keeping a different second one in the notes.
func (d *draft) setClientID(label, v string) { d.fill(&d.rec.ClientID, label, v) }

// setSecret fills the client secret, keeping a different second one in the notes.
func (d *draft) setSecret(label, v string) {
	if v == "" {
		return
	}
	if d.rec.ClientSecret.IsZero() {
		d.rec.ClientSecret = secret.NewValue(v)
		return
	}
	if v != d.rec.ClientSecret.Reveal() {
		d.note(label, v)
	}
}

// setTokenURL fills the OAuth 2.0 token URL, keeping a different second
// one in the notes.
func (d *draft) setTokenURL(label, v string) { d.fill(&d.rec.TokenURL, label, v) }

// field maps a named value the way its name suggests (a client ID, a URL, a
// token URL, a secret) when that field is still empty, and keeps it in the
// notes otherwise.
func (d *draft) field(name, value string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return
	}
	switch classify(name) {
	case kindURL:
		if d.rec.URL == "" && looksLikeURL(value) {
			d.rec.URL = value
			return
		}
	case kindTokenURL:
		d.setTokenURL(name, value)
		return
	case kindClientID:
		if d.rec.ClientID == "" {
			d.rec.ClientID = value
			return
		}
	case kindSecret:
		if d.rec.ClientSecret.IsZero() {
			d.rec.ClientSecret = secret.NewValue(value)
			return
		}
	case kindMethod:
		if d.rec.Method == "" {
			d.rec.Method = value
			return
		}
	}
	d.note(name, value)
}

func (d *draft) problem(format string, a ...any) {
	d.problems = append(d.problems, fmt.Errorf(format, a...))
}

// setTimes keeps the source's creation and modification times.
func (d *draft) setTimes(created, updated time.Time) {
	if !created.IsZero() {
		d.rec.CreatedAt = created.UTC()
	}
	if !updated.IsZero() {
		d.rec.UpdatedAt = updated.UTC()
	}
}

// finish applies the options, builds the notes and validates.
func (d *draft) finish(o *Options) Entry {
	r := d.rec
	if strings.TrimSpace(r.URL) == "" {
		r.URL = o.URL
	}
	if strings.TrimSpace(r.ClientID) == "" {
		r.ClientID = o.ClientID
	}
	r.URL = secret.URLFromHost(r.URL)
	if len(d.extra) > 0 {
		extra := strings.Join(d.extra, "\n")
		if strings.TrimSpace(r.Notes) != "" {
			r.Notes = strings.TrimRight(r.Notes, "\n") + "\n\n" + extra
		} else {
			r.Notes = extra
		}
	}
	e := Entry{Where: d.where, Record: &r, Problems: d.problems}
	e.Problems = append(e.Problems, r.Problems()...)
	return e
}

// Read reads src in the given format and returns its entries, each with every
// problem that keeps it from being imported. The error is for the source as
// a whole: it wraps ErrFormat, ErrPassword, or an I/O or decryption error.
func Read(f Format, src Source, o Options) ([]Entry, error) {
	var drafts []*draft
	var err error
	switch f {
	case BitwardenJSON:
		drafts, err = readBitwardenJSON(src.Data)
	case BitwardenCSV:
		drafts, err = readBitwardenCSV(src.Data)
	case OnePasswordCSV:
		drafts, err = readOnePasswordCSV(src.Data)
	case OnePUX:
		drafts, err = read1PUX(src.Data)
	case KeePassXCCSV:
		drafts, err = readKeePassXCCSV(src.Data)
	case KeePassXML:
		drafts, err = readKeePassXML(src.Data)
	case KDBX:
		drafts, err = readKDBX(src.Data, &o)
	case Pass:
		drafts, err = readPassStore(src.Dir, &o)
	case Dotenv:
		drafts, err = readDotenv(src.Data)
	case Postman:
		drafts, err = readPostman(src.Data)
	case VaultKV:
		drafts, err = readVaultKV(src.Name, src.Data)
	default:
		return nil, formatErr("unknown format %q", f)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(drafts))
	for i, d := range drafts {
		out[i] = d.finish(&o)
	}
	checkIdentifiers(out)
	return out, nil
}

// checkIdentifiers adds a problem to each entry whose identifier an earlier
// entry already has. Identifiers compare without regard to case.
func checkIdentifiers(entries []Entry) {
	first := make(map[string]int)
	for i := range entries {
		id := entries[i].Record.Identifier
		if id == "" {
			continue
		}
		k := secret.FoldIdentifier(id)
		if j, ok := first[k]; ok {
			entries[i].Problems = append(entries[i].Problems, &secret.FieldError{Field: "identifier",
				Msg: fmt.Sprintf("%q is also the identifier of %s", id, entries[j].Where)})
			continue
		}
		first[k] = i
	}
}

// Valid returns the entries without problems, in order.
func Valid(entries []Entry) []Entry {
	var out []Entry
	for _, e := range entries {
		if len(e.Problems) == 0 {
			out = append(out, e)
		}
	}
	return out
}

// sortedKeys returns a map's keys in order, so output is stable.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// FromItems turns the entries of mysafe's own JSON or CSV (see
// secret.DecodeImportJSON) into entries like those of every other format:
// named "entry N (NAME)", with the options applied and every problem of
// each entry listed, duplicate identifiers inside the file among them.
func FromItems(items []secret.ImportItem, o Options) []Entry {
	out := make([]Entry, len(items))
	for i, it := range items {
		where := fmt.Sprintf("entry %d", it.Entry)
		if name := strings.TrimSpace(it.Record.Name); name != "" {
			where += " (" + name + ")"
		}
		d := &draft{where: where, rec: *it.Record, problems: it.Problems}
		out[i] = d.finish(&o)
	}
	checkIdentifiers(out)
	return out
}
