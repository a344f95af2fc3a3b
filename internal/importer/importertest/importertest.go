// Package importertest makes import files for tests and benchmarks.
package importertest

import (
	"encoding/json"
	"fmt"
)

// OwnExport returns a mysafe JSON export of n API secrets with realistic
// field sizes, one in ten of them with two problems (no URL, an unknown
// method), as a hand-edited file has.
func OwnExport(n int) []byte {
	recs := make([]map[string]any, n)
	for i := range recs {
		r := map[string]any{
			"name": fmt.Sprintf("service-%05d", i), "url": fmt.Sprintf("https://api%d.example.com/v1/resource/%d", i%50, i),
			"client_id": fmt.Sprintf("client-%05d-abcdefgh", i), "client_secret": fmt.Sprintf("%048d", i),
			"identifier": fmt.Sprintf("svc-%05d", i), "method": "GET",
			"tags": []string{fmt.Sprintf("team%d", i%20), "prod"}, "notes": "Rotated quarterly by the platform team.",
		}
		if i%10 == 0 {
			r["url"], r["method"] = "", "FETCH"
		}
		recs[i] = r
	}
	b, err := json.Marshal(recs)
	if err != nil {
		panic(err)
	}
	return b
}
