#!/usr/bin/env bash
# build.sh <lambda|scf|web> [amd64|arm64]
#
# Writes dist/<platform>-<arch>.zip, ready to upload:
#   lambda  bootstrap                 AWS Lambda, provided.al2023 (default arch arm64)
#   scf     main                      Tencent SCF event function, runtime Go1 (default amd64)
#   web     main + scf_bootstrap      Tencent SCF web function: scf_bootstrap starts main
#                                     on 0.0.0.0:9000 (default amd64)
# and the same files unpacked in dist/<platform>-<arch>/ (replaced), which is
# what serverless.yml / serverless.web.yml upload. Every file has mode 0755.
# Binaries are built with CGO_ENABLED=0 GOOS=linux -trimpath -buildvcs=false
# -tags lambda.norpc -ldflags "-s -w -buildid=" (scripts/localinvoke holds
# the one copy of these flags). Entries carry a fixed timestamp, so the same
# commit gives a byte-identical zip (set SOURCE_DATE_EPOCH to choose it).
# DIST_DIR (default dist, relative to the repository) changes where they go.
# Prints the zip's path on stdout.
#
# The zip is written by scripts/zipdist (Go's archive/zip), not the host's
# zip, whose output depends on the host and the file system.
set -euo pipefail

usage() {
	echo "usage: scripts/build.sh <lambda|scf|web> [amd64|arm64]" >&2
	exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
platform=$1
case $platform in
lambda) arch=${2:-arm64} ;;
scf | web) arch=${2:-amd64} ;;
*) usage ;;
esac
case $arch in
amd64 | arm64) ;;
*) usage ;;
esac

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd -- "$repo"

dist=${DIST_DIR:-dist}
dist=${dist%/}
zip="$dist/$platform-$arch.zip"
dir="$dist/$platform-$arch"
# GOOS/GOARCH of the caller would cross-compile zipdist itself; zipdist sets
# the target for the function.
env -u GOOS -u GOARCH go run ./scripts/zipdist -platform "$platform" -arch "$arch" -o "$zip" -dir "$dir"
[[ $zip == /* ]] || zip="$repo/$zip"
[[ $dir == /* ]] || dir="$repo/$dir"
echo "build: $zip ($(wc -c <"$zip") bytes), unpacked in $dir/" >&2
echo "$zip"
