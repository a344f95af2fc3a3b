package secret

import (
	"time"
)

// AccessJSON is one entry of the "access" list in JSON output.
type AccessJSON struct {
	Name       string     `json:"name"`
	Recipient  string     `json:"recipient"`
	Permission Permission `json:"permission"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// JSON is the documented JSON shape of a record in `list --json` and
// `show --json`. It never carries the client secret. Field names are stable:
// scripts depend on them.
type JSON struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	URL        string       `json:"url"`
	ClientID   string       `json:"client_id"`
	Identifier string       `json:"identifier"`
	Method     string       `json:"method"`
	TokenURL   string       `json:"token_url"`
	TokenAuth  string       `json:"token_auth"`
	Tags       []string     `json:"tags"`
	Notes      string       `json:"notes"`
	Owner      string       `json:"owner"`
	Permission Permission   `json:"permission"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
	LastUsedAt *time.Time   `json:"last_used_at"`
	Access     []AccessJSON `json:"access"`
}

// ToJSON returns the record's JSON view. Times are UTC, to the second.
func (r *Record) ToJSON() JSON {
	j := JSON{
		ID:         r.ID,
		Name:       r.Name,
		URL:        r.URL,
		ClientID:   r.ClientID,
		Identifier: r.Identifier,
		Method:     r.Method,
		TokenURL:   r.TokenURL,
		TokenAuth:  r.TokenAuth,
		Tags:       r.Tags,
		Notes:      r.Notes,
		Owner:      r.Owner,
		Permission: r.Permission,
		CreatedAt:  jsonTime(r.CreatedAt),
		UpdatedAt:  jsonTime(r.UpdatedAt),
		Access:     make([]AccessJSON, 0, len(r.Access)),
	}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	if j.Permission == "" {
		j.Permission = PermOwner
	}
	if !r.LastUsedAt.IsZero() {
		t := jsonTime(r.LastUsedAt)
		j.LastUsedAt = &t
	}
	for _, a := range r.Access {
		aj := AccessJSON{Name: a.Name, Recipient: a.Recipient, Permission: a.Permission}
		if a.Revoked() {
			t := jsonTime(a.RevokedAt)
			aj.RevokedAt = &t
		}
		j.Access = append(j.Access, aj)
	}
	return j
}

func jsonTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
