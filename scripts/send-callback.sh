#!/usr/bin/env bash
# send-callback.sh [FLAG...] URL [BODY_FILE]
#
# Sends one Room callback to URL exactly as Tencent does: a POST of BODY_FILE
# (default: functions/web/events/callback-create-room.json, the seed
# create-room callback; functions/web/events holds one sample of every command
# roomhook projects) with Content-Type application/json and Tencent's query
# string appended to URL — SdkAppid (the first of ROOMHOOK_SDKAPPID, default
# 1400123456), CallbackCommand (the body's), contenttype=json, ClientIP
# (-client-ip, default 127.0.0.1), OptPlatform (-opt-platform, default
# RESTAPI) and, when ROOMHOOK_CALLBACK_TOKEN is set, Sign and RequestTime for
# its first token. Waits 2 s like Tencent (-timeout). Prints the status and
# the answer on stdout (-json: one JSON line), what it sent on stderr, never
# the token nor the Sign.
#
# Exit status: 0 only for HTTP 200 with exactly
# {"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}; 1 for any other answer
# or none; 2 for usage and build errors.
#
# Examples:
#   scripts/send-callback.sh https://1250000000-abcd1234.ap-guangzhou.tencentscf.com/
#   ROOMHOOK_CALLBACK_TOKEN=… scripts/send-callback.sh https://abc123.execute-api.eu-west-1.amazonaws.com/callback
#   scripts/send-callback.sh -json http://127.0.0.1:9000/ my-callback.json
#   scripts/send-callback.sh http://127.0.0.1:9000/ functions/web/events/callback-member-enter.json
set -euo pipefail

if [[ $# -lt 1 ]]; then
	echo "usage: scripts/send-callback.sh [FLAG...] URL [BODY_FILE]  (flags: go run ./scripts/sendcallback -h)" >&2
	exit 2
fi

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
bin="$repo/.cache/sendcallback/sendcallback"
mkdir -p -- "$(dirname -- "$bin")"
# Built rather than `go run`, which would turn every exit status into 1; for
# this machine, whatever GOOS/GOARCH say. The command runs in the caller's
# directory, so a relative BODY_FILE is the caller's.
if ! env -u GOOS -u GOARCH go build -C "$repo" -o "$bin" ./scripts/sendcallback; then
	echo "send-callback: building scripts/sendcallback failed" >&2
	exit 2
fi
exec "$bin" -default-body "$repo/functions/web/events/callback-create-room.json" "$@"
