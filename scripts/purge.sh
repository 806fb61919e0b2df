#!/usr/bin/env bash
# purge.sh [-dry-run] [-retention D] [-app SDKAPPID[,...]] [-batch N] [-pause D]
#
# Builds scripts/purge and runs it from the caller's directory: it deletes the
# archived callbacks of ROOMHOOK_STORE older than ROOMHOOK_ARCHIVE_RETENTION (or
# -retention) that no room's rows still read, in small batches, safely beside a
# running function; never a projection row. When ROOMHOOK_STORE is unset it
# purges scripts/invoke-local.sh's file for its sample app. See
# `scripts/purge.sh -h` and docs/operations.md ("Keeping the archive bounded").
# Exits 0, 1 when the store failed or it was interrupted, 2 for usage errors.
set -euo pipefail

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cache="$repo/.cache/purge"
mkdir -p -- "$cache"
if [ -z "${ROOMHOOK_STORE:-}" ]; then
	export ROOMHOOK_STORE="sqlite://$repo/.cache/invoke-local.db"
	export ROOMHOOK_SDKAPPID="${ROOMHOOK_SDKAPPID:-1400123456}"
fi
# Built, not `go run`, which would turn every exit status into 1; for this
# machine whatever GOOS/GOARCH say.
env -u GOOS -u GOARCH go -C "$repo" build -o "$cache/purge" ./scripts/purge
exec "$cache/purge" "$@"
