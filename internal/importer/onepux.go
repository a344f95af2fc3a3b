package importer

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// onePUXExport is export.data, the JSON inside a .1pux archive.
type onePUXExport struct {
	Accounts []struct {
		Vaults []struct {
			Attrs struct {
				Name string `json:"name"`
			} `json:"attrs"`
			Items []onePUXItem `json:"items"`
		} `json:"vaults"`
	} `json:"accounts"`
}

type onePUXItem struct {
	CategoryUUID string `json:"categoryUuid"`
	State        string `json:"state"`
	CreatedAt    int64  `json:"createdAt"`
	UpdatedAt    int64  `json:"updatedAt"`
	FavIndex     int    `json:"favIndex"`
	Overview     struct {
		Title string `json:"title"`
		URL   string `json:"url"`
		URLs  []struct {
			Label string `json:"label"`
			URL   string `json:"url"`
		} `json:"urls"`
		Tags []string `json:"tags"`
	} `json:"overview"`
	Details struct {
		LoginFields []struct {
			Value       string `json:"value"`
			Name        string `json:"name"`
			Designation string `json:"designation"`
		} `json:"loginFields"`
		NotesPlain string `json:"notesPlain"`
		Password   string `json:"password"`
		Sections   []struct {
			Title  string `json:"title"`
			Fields []struct {
				Title string                     `json:"title"`
				ID    string                     `json:"id"`
				Value map[string]json.RawMessage `json:"value"`
			} `json:"fields"`
		} `json:"sections"`
		DocumentAttributes *struct {
			FileName string `json:"fileName"`
		} `json:"documentAttributes"`
	} `json:"details"`
}

// onePUXCategories names the 1Password categories a user sees most.
var onePUXCategories = map[string]string{"001": "Login", "002": "Credit Card", "003": "Secure Note", "004": "Identity",
	"005": "Password", "006": "Document", "110": "Server", "111": "Software License", "112": "API Credential", "114": "SSH Key"}

// maxExportData bounds export.data once decompressed.
const maxExportData = MaxFileSize

// read1PUX maps a 1Password .1pux archive. A login's username and password
// are the client ID and secret; an API Credential's username, credential
// and hostname are the client ID, secret and URL; the first website is the
// URL; section fields are mapped by their titles; the vault name becomes a
// tag. File attachments are not imported: the notes name them.
func read1PUX(data []byte) ([]*draft, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, formatErr("not a .1pux archive: %v", err)
	}
	var raw []byte
	for _, zf := range zr.File {
		if zf.Name != "export.data" {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, formatErr("export.data: %v", err)
		}
		raw, err = io.ReadAll(io.LimitReader(rc, maxExportData+1))
		rc.Close()
		if err != nil {
			return nil, formatErr("export.data: %v", err)
		}
		if len(raw) > maxExportData {
			return nil, formatErr("export.data is larger than %d MiB", maxExportData>>20)
		}
	}
	if raw == nil {
		return nil, formatErr("not a .1pux archive: no export.data")
	}
	var ex onePUXExport
	if err := json.Unmarshal(raw, &ex); err != nil {
		return nil, formatErr("export.data: %v", err)
	}
	var out []*draft
	n := 0
	for _, acc := range ex.Accounts {
		for _, v := range acc.Vaults {
			for _, it := range v.Items {
				n++
				out = append(out, map1PUXItem(n, v.Attrs.Name, &it))
			}
		}
	}
	return out, nil
}

func map1PUXItem(n int, vault string, it *onePUXItem) *draft {
	d := newDraft(fmt.Sprintf("item %d (%s)", n, it.Overview.Title))
	d.rec.Name = it.Overview.Title
	d.rec.Notes = it.Details.NotesPlain
	d.setURL("URL", it.Overview.URL)
	for _, u := range it.Overview.URLs {
		label := "URL"
		if u.Label != "" {
			label = "URL (" + u.Label + ")"
		}
		d.setURL(label, u.URL)
	}
	for _, f := range it.Details.LoginFields {
		switch f.Designation {
		case "username":
			d.setClientID("username", f.Value)
		case "password":
			d.setSecret("password", f.Value)
		default:
			d.field(f.Name, f.Value)
		}
	}
	d.setSecret("password", it.Details.Password)
	for _, s := range it.Details.Sections {
		for _, f := range s.Fields {
			name := f.Title
			if name == "" {
				name = f.ID
			}
			var value string
			for _, k := range sortedKeys(f.Value) {
				value = jsonText(f.Value[k])
				if k == "totp" {
					name = "TOTP"
				}
			}
			switch f.ID {
			case "credential":
				d.setSecret(name, value)
			case "hostname":
				d.setURL(name, value)
			default:
				d.field(name, value)
			}
		}
	}
	if c, ok := onePUXCategories[it.CategoryUUID]; ok && it.CategoryUUID != "001" {
		d.note("1Password category", c)
	}
	if a := it.Details.DocumentAttributes; a != nil {
		d.note("attachment not imported", a.FileName)
	}
	for _, t := range it.Overview.Tags {
		d.tag(t)
	}
	d.tag(vault)
	if it.State != "" && it.State != "active" {
		d.note("1Password state", it.State)
	}
	if it.FavIndex > 0 {
		d.note("favorite", "yes")
	}
	var created, updated time.Time
	if it.CreatedAt > 0 {
		created = time.Unix(it.CreatedAt, 0)
	}
	if it.UpdatedAt > 0 {
		updated = time.Unix(it.UpdatedAt, 0)
	}
	d.setTimes(created, updated)
	return d
}
