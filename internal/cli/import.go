package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/mysafe/mysafe/internal/audit"
	"github.com/mysafe/mysafe/internal/display"
	"github.com/mysafe/mysafe/internal/importer"
	"github.com/mysafe/mysafe/internal/safefile"
	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/term"
	"github.com/mysafe/mysafe/internal/vault"
)

// ImportOptions are the inputs of `mysafe import`.
type ImportOptions struct {
	F      *Factory
	File   string
	Format string
	// Options for files from other tools.
	DryRun           bool
	JSON             bool
	SkipInvalid      bool
	URL              string
	ClientID         string
	KDBXPasswordFile string
	KDBXKeyFile      string
	AgeIdentity      string
	// Share-bundle options.
	AllowUnsigned bool
	Yes           bool
	Resolve       string // "", "theirs" or "mine"
	// TrustSigningKey is the "SHA256:..." fingerprint of a contact's signing
	// key that the user checked with them, for a first bundle from a
	// contact added without a card.
	TrustSigningKey string
}

// progressEvery is how many records an import writes between two progress
// updates on a terminal; smaller imports show none.
const progressEvery = 1000

// NewCmdImport builds `mysafe import`.
func NewCmdImport(f *Factory) *cobra.Command {
	opts := &ImportOptions{F: f}
	var names []string
	for _, f := range importer.Formats() {
		names = append(names, string(f))
	}
	cmd := &cobra.Command{
		Use:   "import FILE|DIR|-",
		Short: "Import API secrets from another tool, a mysafe export, or a share bundle",
		Long: `Import API secrets from FILE ("-" for stdin) or, for a pass or gopass store, DIR.

The format is detected; --format names it when detection cannot tell. Besides
mysafe's own json and csv (what ` + "`mysafe export`" + ` writes) and share bundles from
` + "`mysafe share`" + `, mysafe reads: ` + strings.Join(names, ", ") + `.
docs/import.md says how each one's fields map onto an API secret; whatever
has no field of its own is kept in the notes.

Each API secret needs a name, a URL and a client ID. --url and --client-id
supply them for every entry of the file that has none; a bare hostname is
taken as https://HOST.

The import is all or nothing: if any entry cannot be imported, every reason
of every entry is listed and nothing is written. --skip-invalid imports the
valid entries, lists the others, and exits with 7. --dry-run writes nothing
and prints, for each entry, whether it would be imported and every reason it
would not.`,
		Example: `  mysafe import bitwarden_export.json
  mysafe import --dry-run ~/.password-store
  mysafe import --url api.example.com --client-id my-app .env
  mysafe import --kdbx-password-file pw.txt Passwords.kdbx
  mysafe import --format csv - < secrets.csv`,
		Args: exactArgs(1, "one FILE, DIR or -"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			return importRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Format, "format", "", "file format: json, csv, "+strings.Join(names, ", ")+" (default: detect)")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "write nothing; print what would be imported and every reason an entry would not be")
	fl.BoolVar(&opts.JSON, "json", false, "print the report (each entry, whether it can be imported, every reason) as JSON on stdout")
	fl.BoolVar(&opts.SkipInvalid, "skip-invalid", false, "import the valid entries and list the others (exit code 7 when any was skipped)")
	fl.StringVar(&opts.URL, "url", "", "URL for every entry that has none (a hostname means https://HOST)")
	fl.StringVar(&opts.ClientID, "client-id", "", "client ID for every entry that has none")
	fl.StringVar(&opts.KDBXPasswordFile, "kdbx-password-file", "", "read the KeePass database password from the first line of `FILE`")
	fl.StringVar(&opts.KDBXKeyFile, "kdbx-key-file", "", "KeePass key `FILE`, for a database that uses one")
	fl.StringVar(&opts.AgeIdentity, "age-identity", "", "age identity `FILE` for the .age files of a gopass store")
	fl.BoolVar(&opts.AllowUnsigned, "allow-unsigned", false, "accept a share bundle without a signature")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask to confirm a share bundle import")
	fl.StringVar(&opts.TrustSigningKey, "trust-signing-key", "", "for a first share bundle from a contact added without a card: the `SHA256:...` fingerprint of their signing key, as you checked it with them")
	fl.StringVar(&opts.Resolve, "resolve", "", "for share bundles, settle conflicts: theirs (take the bundle's version) or mine (keep yours)")
	return cmd
}

// readInput reads a whole input file, or stdin for "-", up to max bytes: a
// larger input is refused as soon as byte max+1 arrives.
func readInput(f *Factory, name string, max int64) ([]byte, error) {
	var r io.Reader = f.IO.In
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, &exitError{class: errNotFound, err: err}
			}
			return nil, err
		}
		defer fh.Close()
		if fi, err := fh.Stat(); err == nil && fi.IsDir() {
			return nil, usageErr(name + " is a folder; give a file to import")
		}
		r = fh
	}
	b, err := safefile.ReadLimited(r, max)
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, &exitError{class: errUsage, err: err, msg: fmt.Sprintf("%s is larger than %d bytes; nothing was imported", name, max)}
	}
	return b, err
}

// readKeyInput reads a key file a flag names, up to 1 MiB: "-" is stdin,
// anything else follows the rule of every other key file (openInputFile),
// so a FIFO with no writer is refused instead of waited on.
func readKeyInput(f *Factory, name, what string) ([]byte, error) {
	if name == "-" {
		return readInput(f, name, 1<<20)
	}
	return readInputFile(name, what, 1<<20)
}

func importRun(o *ImportOptions) error {
	format := strings.ToLower(o.Format)
	var other importer.Format
	switch format {
	case "", formatJSON, formatCSV:
	default:
		f, ok := importer.ParseFormat(format)
		if !ok {
			return usageErr(fmt.Sprintf("unknown --format %q (want json, csv or one of %s)", o.Format, formatList()))
		}
		other = f
	}
	if r := strings.ToLower(o.Resolve); r != "" && r != "theirs" && r != "mine" {
		return usageErr(fmt.Sprintf("unknown --resolve %q (want theirs or mine)", o.Resolve))
	}
	src := importer.Source{Name: o.File}
	if fi, err := os.Stat(o.File); o.File != "-" && err == nil && fi.IsDir() {
		src.Dir = o.File
		if format == "" {
			f, ok := importer.Detect(src)
			if !ok {
				return usageErr(o.File + " is a folder but not a pass or gopass store (no .gpg-id); give --format")
			}
			other = f
		}
	} else {
		data, err := readInput(o.F, o.File, o.F.Config().ImportMaxSize)
		if errors.Is(err, safefile.ErrTooLarge) {
			return withHint(errUsage, err, "raise the import.max_size setting (MYSAFE_IMPORT_MAX_SIZE) if the file is genuine")
		}
		if err != nil {
			return err
		}
		src.Data = data
		if format == "" {
			switch {
			case isBundle(data):
				if o.JSON || o.DryRun {
					return usageErr(o.File + " is a share bundle: --json and --dry-run are for files from other tools and mysafe exports")
				}
				return importBundleRun(o, data)
			case bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")):
				format = formatJSON
			case isOwnCSV(data):
				format = formatCSV
			default:
				f, ok := importer.Detect(src)
				if !ok {
					return usageErr(fmt.Sprintf("cannot tell the format of %s; give --format (json, csv, %s)", o.File, formatList()))
				}
				other = f
			}
		}
	}
	var entries []importer.Entry
	var err error
	if other != "" {
		opts, err := o.importerOptions(other)
		if err != nil {
			return err
		}
		entries, err = importer.Read(other, src, opts)
		if err != nil {
			return importReadErr(o.File, err)
		}
	} else {
		entries, err = readOwn(format, src.Data, importer.Options{URL: o.URL, ClientID: o.ClientID})
		if err != nil {
			return withHint(errUsage, fmt.Errorf("%s: %w", o.File, err), "nothing was imported")
		}
	}
	return importEntries(o, entries)
}

func formatList() string {
	var names []string
	for _, f := range importer.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// isOwnCSV recognises the header of mysafe's own CSV export.
func isOwnCSV(data []byte) bool {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.ToLower(line)
	return bytes.Contains(line, []byte("name")) && bytes.Contains(line, []byte("client_id")) && bytes.Contains(line, []byte("url"))
}

// readOwn reads mysafe's own JSON or CSV into entries, every problem of
// every entry listed.
func readOwn(format string, data []byte, opts importer.Options) ([]importer.Entry, error) {
	var items []secret.ImportItem
	var err error
	if format == formatJSON {
		items, err = secret.DecodeImportJSON(bytes.NewReader(data))
	} else {
		items, err = secret.DecodeImportCSV(bufio.NewReader(bytes.NewReader(data)))
	}
	if err != nil {
		return nil, err
	}
	return importer.FromItems(items, opts), nil
}

func importReadErr(file string, err error) error {
	switch {
	case errors.Is(err, importer.ErrPassword):
		return withHint(errLocked, fmt.Errorf("%s: %w", file, err), "nothing was imported")
	case errors.Is(err, importer.ErrFormat):
		return withHint(errUsage, fmt.Errorf("%s: %w", file, err), "nothing was imported")
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return fmt.Errorf("%s: %w", file, err)
}

// importerOptions gathers what the importer may need: supplied fields, and
// the ways to open encrypted sources. The KeePass password is asked for
// only when a .kdbx file is read.
func (o *ImportOptions) importerOptions(f importer.Format) (importer.Options, error) {
	io := o.F.IO
	opts := importer.Options{URL: o.URL, ClientID: o.ClientID, Decrypt: importer.GPGDecrypt}
	if o.KDBXKeyFile != "" {
		b, err := readKeyInput(o.F, o.KDBXKeyFile, "--kdbx-key-file")
		if err != nil {
			return opts, err
		}
		opts.KeyFile = b
	}
	opts.Password = func() ([]byte, error) {
		if o.KDBXPasswordFile != "" {
			fh, err := openInputFile(o.KDBXPasswordFile, "password file", "give a regular file (mode 0600)")
			if err != nil {
				return nil, err
			}
			defer fh.Close()
			return term.ReadSecretLine(fh, 4096)
		}
		if !io.CanPrompt() {
			if o.KDBXKeyFile != "" {
				return nil, nil
			}
			return nil, withHint(errUsage, errors.New("cannot ask for the KeePass database password without a terminal"), "give --kdbx-password-file FILE")
		}
		return o.F.Prompter.Secret("Password for " + o.File + ": ")
	}
	if o.AgeIdentity != "" {
		b, err := readKeyInput(o.F, o.AgeIdentity, "--age-identity")
		if err != nil {
			return opts, err
		}
		ids, err := age.ParseIdentities(bytes.NewReader(b))
		if err != nil {
			return opts, usageErr(fmt.Sprintf("--age-identity %s: %v", o.AgeIdentity, err))
		}
		opts.AgeIdentities = ids
	}
	if f == importer.Pass && io.StderrTTY {
		opts.Progress = progress(io, "Decrypting")
	}
	return opts, nil
}

// progress returns a function that shows "what done/total" on stderr,
// rewriting one line, when there is much to do.
func progress(io *term.IOStreams, what string) func(done, total int) {
	return func(done, total int) {
		if total < progressEvery {
			return
		}
		if done%100 == 0 || done == total {
			fmt.Fprintf(io.ErrOut, "\r%s %d/%d", what, done, total)
			if done == total {
				fmt.Fprintln(io.ErrOut)
			}
		}
	}
}

// importEntries writes the valid entries in one transaction (all of them,
// or, with --skip-invalid, those without problems) or, with --dry-run,
// prints what would happen.
func importEntries(o *ImportOptions, entries []importer.Entry) error {
	io := o.F.IO
	valid := importer.Valid(entries)
	bad := len(entries) - len(valid)
	hint := "fix them, supply --url/--client-id, or add --skip-invalid"
	if o.DryRun {
		if err := printReport(o, entries, 0); err != nil {
			return err
		}
		switch {
		case bad == 0:
			o.F.chatter("%d of %d entries would be imported", len(valid), len(entries))
			return nil
		case o.SkipInvalid:
			return &exitError{class: errPartial, msg: fmt.Sprintf("%s: %d of %d entries would be imported, %d skipped", o.File, len(valid), len(entries), bad)}
		}
		return withHint(errUsage, fmt.Errorf("%s: %d of %d entries cannot be imported", o.File, bad, len(entries)), hint)
	}
	if bad > 0 && !o.SkipInvalid {
		if err := printReport(o, entries, 0); err != nil {
			return err
		}
		return withHint(errUsage, fmt.Errorf("%s: %d of %d entries cannot be imported (%s)", o.File, bad, len(entries), reasonsWhere(o)), "nothing was imported; "+hint)
	}
	show := progress(io, "Importing")
	if !io.StderrTTY {
		show = func(int, int) {}
	}
	err := o.F.Update(func(tx *vault.Tx) error {
		claim, err := claimer(tx)
		if err != nil {
			return err
		}
		for i, e := range valid {
			claim(e.Record)
			if err := tx.Put(e.Record); err != nil {
				return err
			}
			show(i+1, len(valid))
		}
		return tx.Log(logEntry(audit.Import, nil, fmt.Sprintf("%s from %s", apiSecrets(len(valid)), filepath.Base(o.File))))
	})
	if err != nil {
		var ce *vault.ConflictError
		if asErr(err, &ce) {
			return withHint(errConflict, err, "nothing was imported")
		}
		return err
	}
	o.F.chatter("Imported %s", apiSecrets(len(valid)))
	if bad > 0 || o.JSON {
		if err := printReport(o, entries, len(valid)); err != nil {
			return err
		}
	}
	if bad > 0 {
		return &exitError{class: errPartial, msg: fmt.Sprintf("%s: skipped %d of %d entries (%s)", o.File, bad, len(entries), reasonsWhere(o))}
	}
	return nil
}

// printReport shows what an import does with each entry. With --json it is
// one JSON object on stdout. Otherwise --dry-run prints on stdout a line
// per importable entry and one per reason an entry is not; an import prints
// only the reasons, on stderr, before its one-line error.
func printReport(o *ImportOptions, entries []importer.Entry, imported int) error {
	io := o.F.IO
	if o.JSON {
		return writeJSON(io.Out, importReport(o.File, entries, imported))
	}
	w := io.ErrOut
	prefix := "  "
	if o.DryRun {
		w, prefix = io.Out, "invalid  "
	}
	bw := bufio.NewWriter(w)
	for _, e := range entries {
		if len(e.Problems) == 0 && o.DryRun {
			fmt.Fprintf(bw, "ok       %s\n", display.Safe(e.Where))
		}
		for _, p := range e.Problems {
			fmt.Fprintf(bw, "%s%s: %s\n", prefix, display.Safe(e.Where), display.Safe(p.Error()))
		}
	}
	return bw.Flush()
}

// reasonsWhere says where printReport put the reasons.
func reasonsWhere(o *ImportOptions) string {
	if o.JSON {
		return "reasons on stdout"
	}
	return "reasons above"
}

// importJSON is the shape of `import --json`: the file, each entry with
// whether it can be imported and every reason it cannot, and how many were
// imported (0 for --dry-run and for an import refused as a whole).
type importJSON struct {
	File     string            `json:"file"`
	Entries  []importEntryJSON `json:"entries"`
	Valid    int               `json:"valid"`
	Invalid  int               `json:"invalid"`
	Imported int               `json:"imported"`
}

type importEntryJSON struct {
	Where    string              `json:"where"`
	Name     string              `json:"name"`
	Valid    bool                `json:"valid"`
	Problems []importProblemJSON `json:"problems"`
}

// importProblemJSON is one reason: the field it is about ("" when it is
// about the entry as a whole) and what is wrong.
type importProblemJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func importReport(file string, entries []importer.Entry, imported int) importJSON {
	r := importJSON{File: file, Entries: make([]importEntryJSON, len(entries)), Imported: imported}
	for i, e := range entries {
		je := importEntryJSON{Where: e.Where, Name: e.Record.Name, Valid: len(e.Problems) == 0, Problems: []importProblemJSON{}}
		for _, p := range e.Problems {
			var fe *secret.FieldError
			if errors.As(p, &fe) {
				je.Problems = append(je.Problems, importProblemJSON{Field: fe.Field, Message: fe.Msg})
			} else {
				je.Problems = append(je.Problems, importProblemJSON{Message: p.Error()})
			}
		}
		if je.Valid {
			r.Valid++
		} else {
			r.Invalid++
		}
		r.Entries[i] = je
	}
	return r
}
