package cli

import "bytes"

// isBundle reports whether data looks like an age file (binary or armored),
// which is what share bundles are.
func isBundle(data []byte) bool {
	return bytes.HasPrefix(data, []byte("age-encryption.org/")) || bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN AGE ENCRYPTED FILE-----"))
}

func importBundleRun(o *ImportOptions, data []byte) error {
	return usageErr("share bundles are not supported yet")
}
