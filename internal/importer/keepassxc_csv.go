package importer

import "time"

// readKeePassXCCSV maps KeePassXC's CSV export: Group, Title, Username,
// Password, URL, Notes, TOTP, Icon, Last Modified, Created. The innermost
// group below the root becomes a tag and the group path is kept in the
// notes; the icon number is the one column left out.
func readKeePassXCCSV(data []byte) ([]*draft, error) {
	return readCSV(data, func(r *csvRow, d *draft) {
		d.rec.Name = r.get("title")
		d.rec.Notes = r.get("notes")
		d.setURL("URL", r.get("url"))
		d.setClientID("username", r.get("username"))
		d.setSecret("password", r.get("password"))
		d.note("TOTP", r.get("totp"))
		d.group(splitList(r.get("group"), "/"))
		r.get("icon")
		parse := func(s string) time.Time {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil && s != "" {
				d.note("time", s)
			}
			return t
		}
		d.setTimes(parse(r.get("created")), parse(r.get("last modified")))
		for _, t := range splitList(r.get("tags"), ",;") {
			d.tag(t)
		}
	})
}
