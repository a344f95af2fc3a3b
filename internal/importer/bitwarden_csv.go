package importer

import "strings"

// readBitwardenCSV maps Bitwarden's CSV export (folder, favorite, type,
// name, notes, fields, reprompt, login_uri, login_username, login_password,
// login_totp; organisations have collections instead of folder).
func readBitwardenCSV(data []byte) ([]*draft, error) {
	return readCSV(data, func(r *csvRow, d *draft) {
		d.rec.Name = r.get("name")
		d.rec.Notes = r.get("notes")
		for i, u := range splitList(r.get("login_uri"), ",\n") {
			if i == 0 {
				d.setURL("URL", u)
			} else {
				d.note("URL", u)
			}
		}
		d.setClientID("username", r.get("login_username"))
		d.setSecret("password", r.get("login_password"))
		d.note("TOTP", r.get("login_totp"))
		for _, line := range strings.Split(r.get("fields"), "\n") {
			if k, v, ok := strings.Cut(line, ": "); ok {
				d.field(k, v)
			} else {
				d.note("field", line)
			}
		}
		if t := r.get("type"); t != "" && t != "login" {
			d.note("Bitwarden type", t)
		}
		folder := r.get("folder")
		if folder == "" {
			folder = r.get("collections")
		}
		for _, f := range splitList(folder, ",") {
			d.tag(f)
		}
		if yes(r.get("favorite")) {
			d.note("favorite", "yes")
		}
		if yes(r.get("reprompt")) {
			d.note("master password re-prompt", "yes")
		}
	})
}
