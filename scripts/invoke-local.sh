#!/usr/bin/env bash
# invoke-local.sh <lambda|scf|web> [EVENT_FILE]
#
# Builds the roomhook function for a platform, runs it under that platform's
# real invocation protocol on loopback (Lambda: the AWS Runtime Interface
# Emulator, the version go.mod pins; SCF: scf-go-lib's net/rpc protocol,
# driven by scripts/invoke; web: the HTTP server of an SCF web function, on
# 127.0.0.1 and a free port), sends one event (default: the platform's bundled
# sample: for SCF the function URL event, the entry SCF offers today; the API
# gateway event, functions/scf/events/apigateway-trigger.json, is what a TSE
# cloud-native gateway or an old API Gateway trigger sends) and prints the
# platform's response JSON on stdout. Exits 0 only for
# status 200, or for the answer of a scheduled event (below); 1 for another
# status or a function failure; 2 for usage and tooling errors. Logs go to
# stderr.
#
# The scheduled events run the archive purge, as the cloud's schedules do
# (docs/deploy.md): functions/lambda/events/scheduled-purge.json (an
# EventBridge scheduled event) and functions/scf/events/timer-purge.json (an
# SCF timer event). Set ROOMHOOK_ARCHIVE_RETENTION (e.g. 30d) to have one
# delete something; the answer is {"archive_purge": {…}}, exit 0 whether the
# pass completed or was cut short by the deadline (the next run goes on), and
# a store failure is a function failure, exit 1.
#
# The bundled samples tell two rooms' stories with every command roomhook
# projects: a Room-family room (create, update in both spellings, members
# entering and leaving, a seat change, destroy) and a live room (*-live-*: Live
# create, the app-wide room-count threshold, update, admins added and removed,
# metadata set and deleted, viewers online and offline, a battle created,
# started and ended, a seat change, a gift, an owner change, destroy):
# functions/lambda/events/functionurl-*.json,
# functions/scf/events/functionurl-*.json and
# functions/web/events/callback-*.json; the other Lambda and SCF samples are
# the create in each event shape. Sent in EventTime order to one store they
# leave the rows functions/samples spells out.
#
# For web, EVENT_FILE is the raw callback body (default:
# functions/web/events/callback-create-room.json); it is POSTed the way
# Tencent does, with Tencent's query string (signed when
# ROOMHOOK_CALLBACK_TOKEN is set), and the answer is printed as
# {"statusCode":…,"headers":{…},"body":"…"}; then the server gets SIGTERM and
# must shut down cleanly.
#
# The function sees every ROOMHOOK_* and AWS_* variable of your environment
# (AWS_* for a dynamodb:// store's credentials and region), plus PATH, HOME and
# TMPDIR, and nothing else. ROOMHOOK_SDKAPPID defaults to the
# samples' app, 1400123456; ROOMHOOK_STORE to a SQLite file under .cache/.
set -euo pipefail

usage() {
	echo "usage: scripts/invoke-local.sh <lambda|scf|web> [EVENT_FILE]" >&2
	exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
platform=$1
case $platform in
lambda) bin=bootstrap default_event=functions/lambda/events/apigateway-http.json ;;
scf) bin=main default_event=functions/scf/events/functionurl-default.json ;;
web) bin=main default_event=functions/web/events/callback-create-room.json ;;
*) usage ;;
esac

# An EVENT_FILE is relative to the caller's directory: resolve it before cd.
event=
if [[ $# -eq 2 ]]; then
	if [[ ! -f $2 ]]; then
		echo "invoke-local: no such event file: $2" >&2
		exit 2
	fi
	event="$(cd -- "$(dirname -- "$2")" && pwd -P)/$(basename -- "$2")"
fi

repo="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd -- "$repo"
event=${event:-$repo/$default_event}
if [[ ! -f $event ]]; then
	echo "invoke-local: no such event file: $event" >&2
	exit 2
fi

cache="$repo/.cache/invoke-local"
mkdir -p -- "$cache"

export ROOMHOOK_SDKAPPID="${ROOMHOOK_SDKAPPID:-1400123456}"
export ROOMHOOK_STORE="${ROOMHOOK_STORE:-sqlite://$repo/.cache/invoke-local.db}"
case $ROOMHOOK_STORE in
sqlite://*)
	db=${ROOMHOOK_STORE#sqlite://}
	[[ $db == /* ]] || db="$repo/$db" # relative to the function's working directory, the repo
	echo "roomhook: store $ROOMHOOK_STORE (inspect with: sqlite3 $db)" >&2
	;;
*)
	# Only the scheme: the URL may hold a password.
	echo "roomhook: store ${ROOMHOOK_STORE%%://*}://… (from ROOMHOOK_STORE)" >&2
	;;
esac

# scripts/invoke builds the function (with localinvoke's flags, the only copy
# of them) and, for Lambda, the pinned emulator next to it, then runs the
# event. It is built rather than run with `go run`, which would turn every
# exit status into 1, and for this machine whatever GOOS/GOARCH say.
env -u GOOS -u GOARCH go build -o "$cache/invoke" ./scripts/invoke
exec "$cache/invoke" -platform "$platform" -build -bin "$cache/$platform/$bin" "$event"
