package importer

import (
	"bytes"
	"encoding/xml"

	"github.com/tobischo/gokeepasslib/v3"
)

// readKeePassXML maps the unencrypted XML export of KeePass 2 and KeePassXC
// (`keepassxc-cli export --format xml`), entry by entry like a .kdbx file.
func readKeePassXML(data []byte) ([]*draft, error) {
	var content gokeepasslib.DBContent
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&content); err != nil {
		return nil, formatErr("not a KeePass XML export: %v", err)
	}
	if content.Root == nil {
		return nil, formatErr("not a KeePass XML export: no <Root>")
	}
	var bin gokeepasslib.UUID
	if content.Meta != nil {
		bin = content.Meta.RecycleBinUUID
	}
	return readKeePassGroups(content.Root.Groups, bin), nil
}
