package importer

import (
	"fmt"

	"github.com/mysafe/mysafe/internal/dotenv"
	"github.com/mysafe/mysafe/internal/secret"
)

// parseDotenv parses a dotenv file with dotenv.Parse, the parser `exec
// --env-file` uses too. It never expands $VAR: a secret holding a dollar
// sign must arrive intact.
func parseDotenv(data []byte) ([]dotenv.Var, error) {
	vars, err := dotenv.Parse(data)
	if err != nil {
		return nil, formatErr("%v", err)
	}
	return vars, nil
}

// readDotenv maps a dotenv file: variables named like a URL, client ID or
// token URL set that field of every record of the file; every other
// variable becomes a record named after it, holding its value as the client
// secret.
func readDotenv(data []byte) ([]*draft, error) {
	vars, err := parseDotenv(data)
	if err != nil {
		return nil, err
	}
	kv := make([]keyValue, len(vars))
	for i, v := range vars {
		kv[i] = keyValue{where: fmt.Sprintf("line %d", v.Line), key: v.Name, value: v.Value}
	}
	return perVariable(kv, "dotenv variable"), nil
}

// keyValue is one named value of a flat source (a dotenv file, a Postman
// environment).
type keyValue struct {
	where, key, value string
	note              string // extra note for the record, if any
}

// perVariable maps a flat set of named values: the values that name a URL,
// a client ID, a token URL or a method are shared by every record; each
// other value becomes one record named after its key.
func perVariable(kv []keyValue, what string) []*draft {
	shared := newDraft("")
	var own []keyValue
	for _, v := range kv {
		switch classify(v.key) {
		case kindURL:
			if looksLikeURL(v.value) && shared.rec.URL == "" {
				shared.rec.URL = v.value
				shared.note("URL from", v.key)
				continue
			}
		case kindClientID:
			if shared.rec.ClientID == "" && v.value != "" {
				shared.rec.ClientID = v.value
				shared.note("client ID from", v.key)
				continue
			}
		case kindTokenURL:
			if shared.rec.TokenURL == "" && v.value != "" {
				shared.rec.TokenURL = v.value
				shared.note("token URL from", v.key)
				continue
			}
		case kindMethod:
			if shared.rec.Method == "" && v.value != "" {
				shared.rec.Method = v.value
				continue
			}
		}
		own = append(own, v)
	}
	var out []*draft
	for _, v := range own {
		d := newDraft(v.where + " (" + v.key + ")")
		d.rec.Name = v.key
		d.rec.URL, d.rec.ClientID, d.rec.Method, d.rec.TokenURL = shared.rec.URL, shared.rec.ClientID, shared.rec.Method, shared.rec.TokenURL
		d.rec.ClientSecret = secret.NewValue(v.value)
		d.extra = append(d.extra, what+": "+v.key)
		if v.note != "" {
			d.extra = append(d.extra, v.note)
		}
		d.extra = append(d.extra, shared.extra...)
		out = append(out, d)
	}
	return out
}
