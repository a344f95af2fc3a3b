package importer

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Format names a source format, as given to `mysafe import --format`.
type Format string

// The formats Read understands.
const (
	BitwardenJSON  Format = "bitwarden-json"
	BitwardenCSV   Format = "bitwarden-csv"
	OnePasswordCSV Format = "1password-csv"
	OnePUX         Format = "1pux"
	KeePassXCCSV   Format = "keepassxc-csv"
	KeePassXML     Format = "keepass-xml"
	KDBX           Format = "kdbx"
	Pass           Format = "pass"
	Dotenv         Format = "dotenv"
	Postman        Format = "postman"
	VaultKV        Format = "vault-kv"
)

// Formats lists every format, in the order help shows them.
func Formats() []Format {
	return []Format{BitwardenJSON, BitwardenCSV, OnePasswordCSV, OnePUX, KeePassXCCSV, KeePassXML, KDBX, Pass, Dotenv, Postman, VaultKV}
}

// aliases are other names users type for a format.
var aliases = map[string]Format{
	"gopass": Pass, "env": Dotenv, ".env": Dotenv, "vault": VaultKV, "keepass": KDBX, "keepassxc": KeePassXCCSV,
	"1password": OnePasswordCSV, "bitwarden": BitwardenJSON,
}

// ParseFormat returns the format a name (or an alias such as gopass or env)
// stands for; ok is false for an unknown name.
func ParseFormat(name string) (f Format, ok bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, f := range Formats() {
		if string(f) == n {
			return f, true
		}
	}
	f, ok = aliases[n]
	return f, ok
}

// kdbxSignature opens every KeePass 2 database file.
var kdbxSignature = []byte{0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5}

// Detect tells the format of src from its content (and, for a folder, the
// files in it). ok is false when it cannot tell. mysafe's own JSON and CSV
// and share bundles are not among the formats: the caller recognises those.
func Detect(src Source) (f Format, ok bool) {
	if src.Dir != "" {
		for _, marker := range []string{".gpg-id", ".age-recipients", ".gopass.yml"} {
			if _, err := os.Stat(filepath.Join(src.Dir, marker)); err == nil {
				return Pass, true
			}
		}
		return "", false
	}
	data := bytes.TrimPrefix(src.Data, []byte("\ufeff"))
	switch {
	case bytes.HasPrefix(data, kdbxSignature[:4]):
		return KDBX, true
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		if zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
			for _, zf := range zr.File {
				if zf.Name == "export.data" {
					return OnePUX, true
				}
			}
		}
		return "", false
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(trimmed, []byte("<")):
		if bytes.Contains(trimmed[:min(len(trimmed), 4096)], []byte("<KeePassFile")) {
			return KeePassXML, true
		}
		return "", false
	case bytes.HasPrefix(trimmed, []byte("{")):
		return detectJSON(trimmed)
	}
	if f, ok := detectCSV(data); ok {
		return f, true
	}
	if isDotenv(data) {
		return Dotenv, true
	}
	return "", false
}

func detectJSON(data []byte) (Format, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return "", false
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := top[k]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case has("items") && (has("folders") || has("encrypted") || has("collections")):
		return BitwardenJSON, true
	case has("values") && (has("_postman_variable_scope") || has("name")):
		return Postman, true
	case has("data") && (has("request_id") || has("lease_id")):
		return VaultKV, true
	}
	// A `kv export` shape: every value is an object of values.
	for _, v := range top {
		var m map[string]json.RawMessage
		if json.Unmarshal(v, &m) != nil {
			return "", false
		}
	}
	return VaultKV, len(top) > 0
}

// detectCSV recognises the header rows of the CSV formats.
func detectCSV(data []byte) (Format, bool) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	head, err := csv.NewReader(bytes.NewReader(line)).Read()
	if err != nil {
		return "", false
	}
	cols := make(map[string]bool)
	for _, h := range head {
		cols[strings.ToLower(strings.TrimSpace(h))] = true
	}
	switch {
	case cols["login_uri"] || cols["login_password"] || cols["login_username"]:
		return BitwardenCSV, true
	case cols["group"] && cols["title"] && cols["username"] && cols["password"]:
		return KeePassXCCSV, true
	case cols["title"] && cols["password"] && (cols["url"] || cols["website"] || cols["urls"] || cols["otpauth"]):
		return OnePasswordCSV, true
	}
	return "", false
}

// isDotenv reports whether data parses as a dotenv file with at least one
// variable.
func isDotenv(data []byte) bool {
	vars, err := parseDotenv(data)
	return err == nil && len(vars) > 0
}

// Describe is a short, human name for a format, for messages.
func (f Format) Describe() string {
	switch f {
	case BitwardenJSON:
		return "Bitwarden JSON"
	case BitwardenCSV:
		return "Bitwarden CSV"
	case OnePasswordCSV:
		return "1Password CSV"
	case OnePUX:
		return "1Password 1PUX"
	case KeePassXCCSV:
		return "KeePassXC CSV"
	case KeePassXML:
		return "KeePass XML"
	case KDBX:
		return "KeePass database"
	case Pass:
		return "pass/gopass store"
	case Dotenv:
		return "dotenv file"
	case Postman:
		return "Postman environment"
	case VaultKV:
		return "Vault kv JSON"
	}
	return fmt.Sprintf("%q", string(f))
}
