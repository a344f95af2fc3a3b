package importer

import (
	"encoding/json"
	"fmt"
)

// postmanEnv is a Postman environment export.
type postmanEnv struct {
	Name   string `json:"name"`
	Values []struct {
		Key     string          `json:"key"`
		Value   json.RawMessage `json:"value"`
		Type    string          `json:"type"`
		Enabled *bool           `json:"enabled"`
	} `json:"values"`
}

// readPostman maps a Postman environment like a dotenv file: variables
// named like a URL, client ID or token URL are shared by the records, every
// other variable becomes a record named after it.
func readPostman(data []byte) ([]*draft, error) {
	var env postmanEnv
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, formatErr("not a Postman environment: %v", err)
	}
	if env.Values == nil {
		return nil, formatErr("not a Postman environment: no \"values\"")
	}
	kv := make([]keyValue, 0, len(env.Values))
	for i, v := range env.Values {
		e := keyValue{where: fmt.Sprintf("value %d", i+1), key: v.Key, value: jsonText(v.Value)}
		if v.Enabled != nil && !*v.Enabled {
			e.note = "disabled in Postman"
		}
		kv = append(kv, e)
	}
	out := perVariable(kv, "Postman variable")
	for _, d := range out {
		d.note("Postman environment", env.Name)
	}
	return out, nil
}

// jsonText returns a JSON string's value, or the JSON text of anything
// else (numbers, booleans, objects), so nothing is lost.
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
