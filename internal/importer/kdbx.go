package importer

import (
	"bytes"
	"errors"
	"strings"

	"github.com/tobischo/gokeepasslib/v3"
)

// readKDBX opens a KeePass 2 database (KDBX 3.1 or 4) with the password from
// o.Password and the key file in o.KeyFile, and maps it like the XML export.
func readKDBX(data []byte, o *Options) ([]*draft, error) {
	if o.Password == nil {
		return nil, errors.New("a password is needed to open the KeePass database")
	}
	pw, err := o.Password()
	if err != nil {
		return nil, err
	}
	var creds *gokeepasslib.DBCredentials
	switch {
	case o.KeyFile != nil && len(pw) > 0:
		creds, err = gokeepasslib.NewPasswordAndKeyDataCredentials(string(pw), o.KeyFile)
	case o.KeyFile != nil:
		creds, err = gokeepasslib.NewKeyDataCredentials(o.KeyFile)
	default:
		creds = gokeepasslib.NewPasswordCredentials(string(pw))
	}
	clear(pw)
	if err != nil {
		return nil, formatErr("the key file: %v", err)
	}
	db := gokeepasslib.NewDatabase()
	db.Credentials = creds
	if err := gokeepasslib.NewDecoder(bytes.NewReader(data)).Decode(db); err != nil {
		if isWrongKey(err) {
			return nil, ErrPassword
		}
		return nil, formatErr("not a KeePass database: %v", err)
	}
	if err := db.UnlockProtectedEntries(); err != nil {
		return nil, formatErr("the KeePass database: %v", err)
	}
	var bin string
	if db.Content.Meta != nil {
		bin = uuidText(db.Content.Meta.RecycleBinUUID)
	}
	if db.Content.Root == nil {
		return nil, formatErr("the KeePass database has no groups")
	}
	groups := make([]kpGroup, len(db.Content.Root.Groups))
	for i := range db.Content.Root.Groups {
		groups[i] = kdbxGroup(&db.Content.Root.Groups[i])
	}
	return readKeePassGroups(groups, bin), nil
}

func uuidText(u gokeepasslib.UUID) string {
	b, _ := u.MarshalText()
	return string(b)
}

func kdbxGroup(g *gokeepasslib.Group) kpGroup {
	out := kpGroup{uuid: uuidText(g.UUID), name: g.Name}
	for _, e := range g.Entries {
		ke := kpEntry{tags: e.Tags}
		if t := e.Times.CreationTime; t != nil {
			ke.created = t.Time
		}
		if t := e.Times.LastModificationTime; t != nil {
			ke.modified = t.Time
		}
		for _, v := range e.Values {
			ke.strings = append(ke.strings, [2]string{v.Key, v.Value.Content})
		}
		for _, b := range e.Binaries {
			ke.attachments = append(ke.attachments, b.Name)
		}
		out.entries = append(out.entries, ke)
	}
	for i := range g.Groups {
		out.groups = append(out.groups, kdbxGroup(&g.Groups[i]))
	}
	return out
}

// isWrongKey tells a wrong password or key file from a damaged file. The
// library reports the former only through the wording of unexported errors.
func isWrongKey(err error) bool {
	if errors.Is(err, gokeepasslib.ErrInvalidDatabaseOrCredentials) {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "wrong password") || strings.Contains(msg, "hmac")
}
