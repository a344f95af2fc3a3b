#!/usr/bin/env bash
# Builds the Debian package of mysafe into OUTDIR (default dist/) the way a
# release does (.goreleaser.yaml: the same build flags, completions and man
# pages generated from the commands, the nfpm settings of packaging/nfpm.yaml),
# with nfpm alone instead of the whole of goreleaser. Prints the package's
# path. Needs nfpm on PATH:
#   go install github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$repo/dist}" && cd "${1:-$repo/dist}" && pwd)"
version="${MYSAFE_VERSION:-0.0.0~$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo dev)}"
arch="${MYSAFE_ARCH:-$(go env GOARCH)}"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cd "$repo"
CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -trimpath \
  -ldflags "-s -w -X main.version=$version" -o "$stage/mysafe" ./cmd/mysafe
# Completions come from the binary itself; built for another architecture,
# it cannot run here, so a second one is built for this machine. Man pages
# come from the same commands through mysafe-man (cmd/mysafe-man).
host="$stage/mysafe"
if [ "$arch" != "$(go env GOHOSTARCH)" ]; then
  host="$stage/host/mysafe"
  go build -o "$host" ./cmd/mysafe
fi
mkdir -p "$stage/completions" "$stage/manpages"
for sh in bash zsh fish powershell; do
  "$host" completion "$sh" > "$stage/completions/mysafe.$sh"
done
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}" \
  go run ./cmd/mysafe-man -version "$version" "$stage/manpages"
gzip -9n "$stage"/manpages/*.1
cp README.md "$stage/"

cd "$stage"
MYSAFE_VERSION="$version" MYSAFE_ARCH="$arch" \
  nfpm package --config "$repo/packaging/nfpm.yaml" --packager deb --target "$out/" >&2
ls "$out"/mysafe_*"_$arch.deb" | tail -n 1
