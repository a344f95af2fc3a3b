package importer

import (
	"strings"
	"time"
)

// kpGroup and kpEntry are a KeePass database's groups and entries, from a
// .kdbx file or its XML export.
type (
	kpGroup struct {
		uuid    string // base64, as in the XML
		name    string
		entries []kpEntry
		groups  []kpGroup
	}
	kpEntry struct {
		strings           [][2]string // key, value, in file order
		tags              string
		created, modified time.Time
		attachments       []string
	}
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

// readKeePassGroups maps the entries of a KeePass database. Title,
// UserName, Password, URL and Notes map to the record's fields, tags to
// tags, the innermost group to a tag; custom strings are mapped by their
// names (a "client_id" string becomes the client ID) or kept in the notes.
// The recycle bin is skipped: its entries were deleted.
func readKeePassGroups(groups []kpGroup, recycleBin string) []*draft {
	var out []*draft
	var walk func(g *kpGroup, path []string)
	walk = func(g *kpGroup, path []string) {
		if len(path) > 0 && g.uuid != "" && g.uuid == recycleBin {
			return
		}
		path = append(path[:len(path):len(path)], g.name)
		for _, e := range g.entries {
			var title string
			for _, s := range e.strings {
				if s[0] == "Title" {
					title = s[1]
				}
			}
			d := newDraft("entry " + strings.Join(append(path[1:len(path):len(path)], title), "/"))
			for _, s := range e.strings {
				switch k, v := s[0], s[1]; k {
				case "Title":
					d.rec.Name = v
				case "Notes":
					d.rec.Notes = v
				case "URL":
					d.setURL("URL", v)
				case "UserName":
					d.setClientID("username", v)
				case "Password":
					d.setSecret("password", v)
				case "otp", "TOTP Seed":
					d.note("TOTP", v)
				default:
					d.field(k, v)
				}
			}
			for _, t := range splitList(e.tags, ",;") {
				d.tag(t)
			}
			d.group(path)
			d.setTimes(e.created, e.modified)
			for _, a := range e.attachments {
				d.note("attachment not imported", a)
			}
			out = append(out, d)
		}
		for i := range g.groups {
			walk(&g.groups[i], path)
		}
	}
	for i := range groups {
		walk(&groups[i], nil)
	}
	return out
}
