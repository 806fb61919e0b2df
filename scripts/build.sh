#!/usr/bin/env bash
# build.sh <lambda|scf> [amd64|arm64]
#
# Writes dist/<platform>-<arch>.zip, ready to upload: the function binary
# alone, named bootstrap (Lambda, provided.al2023; default arch arm64) or
# main (SCF; default arch amd64), executable bit kept, built with
# CGO_ENABLED=0 GOOS=linux -trimpath -tags lambda.norpc
# -ldflags "-s -w -buildid=". Entries carry a fixed timestamp, so the same
# commit gives a byte-identical zip (set SOURCE_DATE_EPOCH to choose it).
# Prints the zip's path on stdout.
#
# The zip is written by scripts/zipdist (Go's archive/zip), not the host's
# zip, whose output depends on the host and the file system.
set -euo pipefail

usage() {
	echo "usage: scripts/build.sh <lambda|scf> [amd64|arm64]" >&2
	exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
platform=$1
case $platform in
lambda) arch=${2:-arm64} ;;
scf) arch=${2:-amd64} ;;
*) usage ;;
esac
case $arch in
amd64 | arm64) ;;
*) usage ;;
esac

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd -- "$repo"

zip="dist/$platform-$arch.zip"
# GOOS/GOARCH of the caller would cross-compile zipdist itself; zipdist sets
# the target for the function.
env -u GOOS -u GOARCH go run ./scripts/zipdist -platform "$platform" -arch "$arch" -o "$zip"
echo "$repo/$zip"
