#!/usr/bin/env bash
# replay.sh [-dry-run] [-outcome LIST] [LOG_FILE...]
# replay.sh [-dry-run] -from-store URL -app SDKAPPID[,SDKAPPID...]
#
# Builds scripts/replay and runs it with these arguments, from the caller's
# directory (relative log files and sqlite:// paths stay relative to it).
# It writes the events the function could not store (log lines with
# "outcome":"rejected:store") into ROOMHOOK_STORE through the same core path
# as a live delivery; see `scripts/replay.sh -h` and scripts/replay/main.go.
# Exits 0 when no event failed, 1 when one did, 2 for usage and setup errors.
set -euo pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cache="$repo/.cache/replay"
mkdir -p -- "$cache"
# Built, not `go run`, which would turn every exit status into 1; for this
# machine whatever GOOS/GOARCH say.
env -u GOOS -u GOARCH go -C "$repo" build -o "$cache/replay" ./scripts/replay
exec "$cache/replay" "$@"
