// Package packaging holds the settings of mysafe's Debian package for
// building it without goreleaser (scripts/build-deb.sh, run by CI). Its test
// keeps them the same as the release's: goreleaser's nfpm settings cannot
// include another file, so there are two, and this is what binds them.
package packaging

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// content is one file a package installs.
type content struct {
	Src      string `yaml:"src"`
	Dst      string `yaml:"dst"`
	FileInfo struct {
		Mode uint32 `yaml:"mode"`
	} `yaml:"file_info"`
}

// meta is what both configurations say about the package.
type meta struct {
	Vendor      string    `yaml:"vendor"`
	Homepage    string    `yaml:"homepage"`
	Maintainer  string    `yaml:"maintainer"`
	Description string    `yaml:"description"`
	License     string    `yaml:"license"`
	Section     string    `yaml:"section"`
	Contents    []content `yaml:"contents"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// The package CI builds and installs is the package a release ships: the
// same metadata and the same files at the same places with the same modes.
// goreleaser adds the binary itself (bindir); nfpm.yaml lists it.
func TestSameAsRelease(t *testing.T) {
	var release struct {
		Builds []struct {
			Binary string `yaml:"binary"`
		} `yaml:"builds"`
		NFPMs []struct {
			meta    `yaml:",inline"`
			Formats []string `yaml:"formats"`
			BinDir  string   `yaml:"bindir"`
		} `yaml:"nfpms"`
	}
	readYAML(t, filepath.Join("..", ".goreleaser.yaml"), &release)
	var deb struct {
		meta `yaml:",inline"`
		Name string `yaml:"name"`
	}
	readYAML(t, "nfpm.yaml", &deb)

	if len(release.NFPMs) != 1 || len(release.Builds) != 1 {
		t.Fatalf(".goreleaser.yaml has %d nfpms and %d builds, want one of each", len(release.NFPMs), len(release.Builds))
	}
	rel := release.NFPMs[0]
	if !slices.Contains(rel.Formats, "deb") {
		t.Errorf("the release builds no .deb: formats %v", rel.Formats)
	}
	bin := content{Src: "./" + release.Builds[0].Binary, Dst: filepath.Join(rel.BinDir, release.Builds[0].Binary)}
	bin.FileInfo.Mode = 0o755
	want := rel.meta
	want.Contents = append([]content{bin}, want.Contents...)
	if deb.Name != "mysafe" {
		t.Errorf("nfpm.yaml names the package %q", deb.Name)
	}
	if !slices.Equal(deb.Contents, want.Contents) {
		t.Errorf("nfpm.yaml installs\n%+v\nthe release installs\n%+v", deb.Contents, want.Contents)
	}
	deb.Contents, want.Contents = nil, nil
	if deb.meta.Vendor != want.Vendor || deb.meta.Homepage != want.Homepage || deb.meta.Maintainer != want.Maintainer ||
		deb.meta.Description != want.Description || deb.meta.License != want.License || deb.meta.Section != want.Section {
		t.Errorf("metadata differs:\nnfpm.yaml %+v\nrelease   %+v", deb.meta, want)
	}
}
