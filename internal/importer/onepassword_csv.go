package importer

// readOnePasswordCSV maps 1Password's CSV export: 1Password 8 writes Title,
// Url, Username, Password, OTPAuth, Favorite, Archived, Tags and Notes;
// older versions let the user choose columns such as website.
func readOnePasswordCSV(data []byte) ([]*draft, error) {
	return readCSV(data, func(r *csvRow, d *draft) {
		d.rec.Name = r.get("title", "name")
		d.rec.Notes = r.get("notes", "notesplain")
		for i, u := range splitList(r.get("url", "website", "urls", "login url"), ",\n") {
			if i == 0 {
				d.setURL("URL", u)
			} else {
				d.note("URL", u)
			}
		}
		d.setClientID("username", r.get("username", "user", "login"))
		d.setSecret("password", r.get("password"))
		d.note("TOTP", r.get("otpauth", "one-time password"))
		for _, t := range splitList(r.get("tags"), ",;") {
			d.tag(t)
		}
		if yes(r.get("favorite")) {
			d.note("favorite", "yes")
		}
		if yes(r.get("archived")) {
			d.note("archived in 1Password", "yes")
		}
	})
}
