package importer

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mysafe/mysafe/internal/secret"
)

// vaultResponse is the output of `vault kv get -format=json`: the secret's
// values are in data (KV version 1) or data.data (version 2, with
// data.metadata).
type vaultResponse struct {
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

type vaultV2 struct {
	Data     map[string]json.RawMessage `json:"data"`
	Metadata *struct {
		CreatedTime time.Time `json:"created_time"`
		Version     int       `json:"version"`
	} `json:"metadata"`
}

// readVaultKV maps HashiCorp Vault kv JSON: the output of `vault kv get
// -format=json` (one secret, named after the file) or an export object that
// maps each secret's path to its values. Each secret becomes one record.
func readVaultKV(name string, data []byte) ([]*draft, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, formatErr("not Vault kv JSON: %v", err)
	}
	if _, ok := top["request_id"]; ok {
		if _, ok := top["data"]; ok {
			base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
			if name == "-" || base == "" {
				base = "vault secret"
			}
			d, err := vaultSecret(base, top["data"])
			if err != nil {
				return nil, err
			}
			return []*draft{d}, nil
		}
	}
	var out []*draft
	for _, path := range sortedKeys(top) {
		d, err := vaultSecret(path, top[path])
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// vaultSecret maps one secret's values: the first value named like a
// secret is the client secret (or the only value, when none is), values
// named like a URL, client ID or token URL fill those fields, and the rest go
// to the notes.
func vaultSecret(path string, raw json.RawMessage) (*draft, error) {
	var v2 vaultV2
	var values map[string]json.RawMessage
	if err := json.Unmarshal(raw, &values); err != nil {
		return nil, formatErr("secret %q: its values are not a JSON object", path)
	}
	d := newDraft(path)
	d.rec.Name = path
	if inner, ok := values["data"]; ok && len(values) <= 2 && bytes.HasPrefix(bytes.TrimSpace(inner), []byte("{")) {
		if _, hasMeta := values["metadata"]; hasMeta || len(values) == 1 {
			if err := json.Unmarshal(raw, &v2); err != nil {
				return nil, formatErr("secret %q: %v", path, err)
			}
			values = v2.Data
			if m := v2.Metadata; m != nil {
				d.setTimes(m.CreatedTime, m.CreatedTime)
				if m.Version > 0 {
					d.note("Vault version", strconv.Itoa(m.Version))
				}
			}
		}
	}
	keys := sortedKeys(values)
	secretKey := ""
	var others []string
	for _, k := range keys {
		switch classify(k) {
		case kindSecret:
			if secretKey == "" {
				secretKey = k
			}
		case kindOther:
			others = append(others, k)
		}
	}
	if secretKey == "" && len(others) == 1 {
		secretKey = others[0]
	}
	if secretKey != "" {
		d.rec.ClientSecret = secret.NewValue(jsonText(values[secretKey]))
		if !strings.EqualFold(squash(secretKey), "clientsecret") {
			d.note("client secret from", secretKey)
		}
	}
	for _, k := range keys {
		if k != secretKey {
			d.field(k, jsonText(values[k]))
		}
	}
	return d, nil
}
