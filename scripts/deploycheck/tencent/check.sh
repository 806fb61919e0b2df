#!/usr/bin/env bash
# scripts/deploycheck/tencent/check.sh
#
# Checks serverless.yml, serverless.web.yml and serverless.purge.yml with Tencent's own deployment
# logic: installs tencent-component-toolkit (the version package.json pins) from npm into a cache
# directory, builds the code the files deploy (scripts/build.sh scf|web amd64, into a temporary
# dist/), and runs check.js, which drives the toolkit's Scf.deploy with each file's inputs, the
# network replaced, and asserts the CreateFunction and CreateTrigger requests; serverless.yml
# once more without ROOMHOOK_ARCHIVE_RETENTION exported (the variable is then left out). Then it
# proves the check can fail: copies of the files with an API Gateway trigger, AuthType CAM, the
# URL not public, another handler, a variable roomhook does not read, the purge's timer switched
# off or beside a function URL, must each be refused.
# Needs node, npm and python3 (PyYAML, which cfn-lint brings). Exit 0 when all holds.
set -euo pipefail
here="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
repo="$(cd -- "$here/../../.." && pwd -P)"
version=$(sed -n 's/.*"tencent-component-toolkit": "\([^"]*\)".*/\1/p' "$here/package.json")
cache="${XDG_CACHE_HOME:-$HOME/.cache}/roomhook-tencent-toolkit-$version"
if [ ! -f "$cache/node_modules/tencent-component-toolkit/package.json" ]; then
  mkdir -p "$cache"
  cp "$here/package.json" "$cache/package.json"
  npm install --prefix "$cache" --no-audit --no-fund --loglevel=error >&2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/roomhook-tencent-check.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
DIST_DIR="$tmp/dist" "$repo/scripts/build.sh" scf amd64 >/dev/null
DIST_DIR="$tmp/dist" "$repo/scripts/build.sh" web amd64 >/dev/null

# What the deployer exports (serverless.yml takes them with ${env:…}).
export ROOMHOOK_SDKAPPID=1400123456 ROOMHOOK_CALLBACK_TOKEN=deploycheck-token
export ROOMHOOK_STORE='postgres://roomhook@10.0.0.5:5432/roomhook'
export ROOMHOOK_ARCHIVE_RETENTION=30d

# job FILE OUT [PYTHON-EXPRESSION-ON-c]: writes check.js's input for FILE, mutated by the expression.
job() {
  python3 - "$repo" "$1" "$2" "$tmp" "${3:-}" <<'PY'
import json, sys, yaml
repo, file, out, tmp, mutate = sys.argv[1:]
c = yaml.safe_load(open(f"{repo}/{file}"))
if mutate:
    exec(mutate)
json.dump({"file": file, "config": c, "repo": repo, "srcRoot": tmp}, open(out, "w"))
PY
}

job serverless.yml "$tmp/event.json"
job serverless.web.yml "$tmp/web.json"
job serverless.purge.yml "$tmp/purge.json"
NODE_PATH="$cache/node_modules" node "$here/check.js" "$tmp/event.json" "$tmp/web.json" "$tmp/purge.json"
# No retention exported: archived callbacks kept forever, the variable left out.
env -u ROOMHOOK_ARCHIVE_RETENTION NODE_PATH="$cache/node_modules" node "$here/check.js" "$tmp/event.json"

# The check must fail on each of these.
i=0
while IFS='|' read -r file what mutate; do
  i=$((i + 1))
  job "$file" "$tmp/bad$i.json" "$mutate"
  if NODE_PATH="$cache/node_modules" node "$here/check.js" "$tmp/bad$i.json" >"$tmp/bad$i.out" 2>&1; then
    cat "$tmp/bad$i.out"
    echo "FAIL the check passed $file with $what" >&2
    exit 1
  fi
  echo "refused as it should: $file with $what ($(grep -m1 FAIL "$tmp/bad$i.out" | cut -c1-120))"
done <<'CASES'
serverless.yml|an API Gateway trigger|c["inputs"]["events"] = [{"apigw": {"parameters": {"endpoints": [{"path": "/", "method": "POST"}]}}}]
serverless.yml|AuthType CAM|c["inputs"]["events"][0]["http"]["parameters"]["authType"] = "CAM"
serverless.web.yml|the URL not public|c["inputs"]["events"][0]["http"]["parameters"]["netConfig"]["enableExtranet"] = False
serverless.yml|handler bootstrap|c["inputs"]["handler"] = "bootstrap"
serverless.yml|a variable roomhook does not read|c["inputs"]["environment"]["variables"]["ROOMHOOK_STORAGE"] = "x"
serverless.web.yml|the event function's code|c["inputs"]["src"] = "./dist/scf-amd64"
serverless.yml|timeout 10|c["inputs"]["timeout"] = 10
serverless.purge.yml|the timer switched off|c["inputs"]["events"][0]["timer"]["parameters"]["enable"] = False
serverless.purge.yml|a function URL beside the timer|c["inputs"]["events"].append(yaml.safe_load(open(f"{repo}/serverless.yml"))["inputs"]["events"][0])
serverless.purge.yml|the retention written out|c["inputs"]["environment"]["variables"]["ROOMHOOK_ARCHIVE_RETENTION"] = "7d"
serverless.purge.yml|timeout 3|c["inputs"]["timeout"] = 3
CASES
