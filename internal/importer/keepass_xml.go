package importer

import (
	"bytes"
	"encoding/xml"
	"time"
)

// The parts of KeePass's XML that are imported. They are decoded with plain
// encoding/xml structs rather than the KDBX library's, whose decoder does
// not stop on some malformed input.
type (
	xmlKeePassFile struct {
		Meta struct {
			RecycleBinUUID string `xml:"RecycleBinUUID"`
		} `xml:"Meta"`
		Root *struct {
			Groups []xmlGroup `xml:"Group"`
		} `xml:"Root"`
	}
	xmlGroup struct {
		UUID    string     `xml:"UUID"`
		Name    string     `xml:"Name"`
		Entries []xmlEntry `xml:"Entry"`
		Groups  []xmlGroup `xml:"Group"`
	}
	xmlEntry struct {
		Tags  string `xml:"Tags"`
		Times struct {
			CreationTime         string `xml:"CreationTime"`
			LastModificationTime string `xml:"LastModificationTime"`
		} `xml:"Times"`
		Strings []struct {
			Key   string `xml:"Key"`
			Value string `xml:"Value"`
		} `xml:"String"`
		Binaries []struct {
			Key string `xml:"Key"`
		} `xml:"Binary"`
	}
)

// readKeePassXML maps the unencrypted XML export of KeePass 2 and KeePassXC
// (`keepassxc-cli export --format xml`), entry by entry like a .kdbx file.
func readKeePassXML(data []byte) ([]*draft, error) {
	var f xmlKeePassFile
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&f); err != nil {
		return nil, formatErr("not a KeePass XML export: %v", err)
	}
	if f.Root == nil {
		return nil, formatErr("not a KeePass XML export: no <Root>")
	}
	var conv func(g *xmlGroup) kpGroup
	conv = func(g *xmlGroup) kpGroup {
		out := kpGroup{uuid: g.UUID, name: g.Name}
		for _, e := range g.Entries {
			ke := kpEntry{tags: e.Tags, created: xmlTime(e.Times.CreationTime), modified: xmlTime(e.Times.LastModificationTime)}
			for _, s := range e.Strings {
				ke.strings = append(ke.strings, [2]string{s.Key, s.Value})
			}
			for _, b := range e.Binaries {
				ke.attachments = append(ke.attachments, b.Key)
			}
			out.entries = append(out.entries, ke)
		}
		for i := range g.Groups {
			out.groups = append(out.groups, conv(&g.Groups[i]))
		}
		return out
	}
	groups := make([]kpGroup, len(f.Root.Groups))
	for i := range f.Root.Groups {
		groups[i] = conv(&f.Root.Groups[i])
	}
	return readKeePassGroups(groups, f.Meta.RecycleBinUUID), nil
}

// xmlTime reads a KeePass time: RFC 3339 in XML exports and KDBX 3.1.
func xmlTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}
