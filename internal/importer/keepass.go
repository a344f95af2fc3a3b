package importer

import (
	"strings"

	"github.com/tobischo/gokeepasslib/v3"
)

// group tags a KeePass entry with its innermost group and keeps the path in
// the notes. The root group (the database itself) is left out.
func (d *draft) group(path []string) {
	if len(path) < 2 {
		return
	}
	d.tag(path[len(path)-1])
	d.note("KeePass group", strings.Join(path[1:], "/"))
}

// keepassStandard are the string fields every KeePass entry has.
var keepassStandard = map[string]bool{"Title": true, "UserName": true, "Password": true, "URL": true, "Notes": true}

// readKeePassGroups maps the entries of a KeePass database (from a .kdbx
// file or its XML export). Title, UserName, Password, URL and Notes map to
// the record's fields, tags to tags, the innermost group to a tag; custom
// strings are mapped by their names (a "client_id" string becomes the
// client ID) or kept in the notes. The recycle bin is skipped.
func readKeePassGroups(groups []gokeepasslib.Group, recycleBin gokeepasslib.UUID) []*draft {
	var out []*draft
	var walk func(g *gokeepasslib.Group, path []string)
	walk = func(g *gokeepasslib.Group, path []string) {
		if len(path) > 0 && g.UUID.Compare(recycleBin) {
			return
		}
		path = append(path, g.Name)
		for i := range g.Entries {
			e := &g.Entries[i]
			d := newDraft("entry " + strings.Join(append(path[1:len(path):len(path)], e.GetTitle()), "/"))
			d.rec.Name = e.GetTitle()
			d.rec.Notes = e.GetContent("Notes")
			d.setURL("URL", e.GetContent("URL"))
			d.setClientID("username", e.GetContent("UserName"))
			d.setSecret("password", e.GetContent("Password"))
			for _, v := range e.Values {
				if !keepassStandard[v.Key] {
					if v.Key == "otp" || v.Key == "TOTP Seed" {
						d.note("TOTP", v.Value.Content)
						continue
					}
					d.field(v.Key, v.Value.Content)
				}
			}
			for _, t := range splitList(e.Tags, ",;") {
				d.tag(t)
			}
			d.group(path)
			if e.Times.CreationTime != nil && e.Times.LastModificationTime != nil {
				d.setTimes(e.Times.CreationTime.Time, e.Times.LastModificationTime.Time)
			}
			for _, b := range e.Binaries {
				d.note("attachment not imported", b.Name)
			}
			out = append(out, d)
		}
		for i := range g.Groups {
			walk(&g.Groups[i], path)
		}
	}
	for i := range groups {
		walk(&groups[i], nil)
	}
	return out
}
