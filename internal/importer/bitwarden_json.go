package importer

import (
	"encoding/json"
	"fmt"
	"time"
)

// bitwardenExport is Bitwarden's unencrypted JSON export.
type bitwardenExport struct {
	Encrypted bool `json:"encrypted"`
	Folders   []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"folders"`
	Items []struct {
		Type     int    `json:"type"`
		Name     string `json:"name"`
		Notes    string `json:"notes"`
		FolderID string `json:"folderId"`
		Favorite bool   `json:"favorite"`
		Reprompt int    `json:"reprompt"`
		Fields   []struct {
			Name  string          `json:"name"`
			Value json.RawMessage `json:"value"`
		} `json:"fields"`
		Login *struct {
			URIs []struct {
				URI string `json:"uri"`
			} `json:"uris"`
			Username string `json:"username"`
			Password string `json:"password"`
			TOTP     string `json:"totp"`
		} `json:"login"`
		Card         map[string]json.RawMessage `json:"card"`
		Identity     map[string]json.RawMessage `json:"identity"`
		SSHKey       map[string]json.RawMessage `json:"sshKey"`
		CreationDate time.Time                  `json:"creationDate"`
		RevisionDate time.Time                  `json:"revisionDate"`
		DeletedDate  *time.Time                 `json:"deletedDate"`
	} `json:"items"`
}

// bitwardenTypes names Bitwarden's item types.
var bitwardenTypes = map[int]string{1: "login", 2: "secure note", 3: "card", 4: "identity", 5: "SSH key"}

// readBitwardenJSON maps Bitwarden's unencrypted JSON export: a login's
// username is the client ID, its password the client secret, its first URI
// the URL; custom fields are mapped by their names; the folder becomes a
// tag. Cards, identities and SSH keys are mapped field by field.
func readBitwardenJSON(data []byte) ([]*draft, error) {
	var ex bitwardenExport
	if err := json.Unmarshal(data, &ex); err != nil {
		return nil, formatErr("not a Bitwarden JSON export: %v", err)
	}
	if ex.Encrypted {
		return nil, formatErr("the Bitwarden export is encrypted; export the vault again as unencrypted .json")
	}
	folders := make(map[string]string, len(ex.Folders))
	for _, f := range ex.Folders {
		folders[f.ID] = f.Name
	}
	out := make([]*draft, 0, len(ex.Items))
	for i, it := range ex.Items {
		d := newDraft(fmt.Sprintf("item %d (%s)", i+1, it.Name))
		d.rec.Name = it.Name
		d.rec.Notes = it.Notes
		if l := it.Login; l != nil {
			for _, u := range l.URIs {
				d.setURL("URL", u.URI)
			}
			d.setClientID("username", l.Username)
			d.setSecret("password", l.Password)
			d.note("TOTP", l.TOTP)
		}
		for _, f := range it.Fields {
			d.field(f.Name, jsonText(f.Value))
		}
		for _, m := range []map[string]json.RawMessage{it.Card, it.Identity, it.SSHKey} {
			for _, k := range sortedKeys(m) {
				d.field(k, jsonText(m[k]))
			}
		}
		if it.Type != 1 {
			t, ok := bitwardenTypes[it.Type]
			if !ok {
				t = fmt.Sprint(it.Type)
			}
			d.note("Bitwarden type", t)
		}
		d.tag(folders[it.FolderID])
		if it.Favorite {
			d.note("favorite", "yes")
		}
		if it.Reprompt != 0 {
			d.note("master password re-prompt", "yes")
		}
		if it.DeletedDate != nil {
			d.note("in Bitwarden's trash since", it.DeletedDate.UTC().Format(time.RFC3339))
		}
		d.setTimes(it.CreationDate, it.RevisionDate)
		out = append(out, d)
	}
	return out, nil
}
