#!/usr/bin/env bash
# query.sh [-json] [-app SDKAPPID] COMMAND [ARGUMENTS]
#   rooms [live|destroyed|all] | room ID | members ID [in|left|all]
#   events [-room ID] [-since T] [-command C,...] [-limit N] | gifts [-room ID] [-since T] [-limit N]
#
# Builds scripts/query and runs it from the caller's directory: it shows what
# roomhook stored in ROOMHOOK_STORE for ROOMHOOK_SDKAPPID, opening the store
# read-only. When ROOMHOOK_STORE is unset, both default to those of
# scripts/invoke-local.sh (.cache/invoke-local.db, app 1400123456), so a local
# invoke can be looked at right away. See `scripts/query.sh -h` and
# docs/operations.md. Exits 0, 1 when the store cannot be read, 2 for usage.
set -euo pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cache="$repo/.cache/query"
mkdir -p -- "$cache"
if [ -z "${ROOMHOOK_STORE:-}" ]; then
	export ROOMHOOK_STORE="sqlite://$repo/.cache/invoke-local.db"
	export ROOMHOOK_SDKAPPID="${ROOMHOOK_SDKAPPID:-1400123456}"
fi
# Built, not `go run`, which would turn every exit status into 1; for this
# machine whatever GOOS/GOARCH say.
env -u GOOS -u GOARCH go -C "$repo" build -o "$cache/query" ./scripts/query
exec "$cache/query" "$@"
