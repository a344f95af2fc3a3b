package secret

import (
	"fmt"
	"io"
	"strings"
)

// EnvName is the variable a record becomes in a dotenv export: its
// identifier, or else its name, in upper case, with every character other
// than a letter, digit or underscore turned into an underscore, and an
// underscore in front of a leading digit. "payments-prod" is PAYMENTS_PROD.
func EnvName(r *Record) string {
	src := r.Identifier
	if src == "" {
		src = r.Name
	}
	var b strings.Builder
	for _, c := range strings.ToUpper(src) {
		if c == '_' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	return s
}

// DotenvValue quotes a client secret for a dotenv file so that shells, the
// common dotenv loaders and mysafe's import all read it back unchanged:
// in single quotes when it holds no single quote or newline, otherwise in
// double quotes with \\, \", \$, \` and \n escaped.
func DotenvValue(v string) string {
	if !strings.ContainsAny(v, "'\n\r") {
		return "'" + v + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`", "\n", `\n`, "\r", `\r`)
	return `"` + r.Replace(v) + `"`
}

// WriteDotenv writes one KEY='client secret' line per record, in the order
// given, each after a comment naming the record and its URL. Two records
// that become the same variable are refused with a *FieldError before
// anything is written.
func WriteDotenv(w io.Writer, recs []*Record) error {
	seen := make(map[string]*Record, len(recs))
	for _, r := range recs {
		k := EnvName(r)
		if o, ok := seen[k]; ok {
			return &FieldError{Field: "dotenv", Msg: fmt.Sprintf("%q and %q would both be %s; give one of them another identifier, or export fewer with --tag", o.Name, r.Name, k)}
		}
		seen[k] = r
	}
	for _, r := range recs {
		if _, err := fmt.Fprintf(w, "# %s (%s)\n%s=%s\n", r.Name, r.URL, EnvName(r), DotenvValue(r.ClientSecret.Reveal())); err != nil {
			return err
		}
	}
	return nil
}
