#!/usr/bin/env bash
# Checks template.yaml with AWS's own models, offline (check.py says how):
#   1. cfn-lint: CloudFormation's resource schemas and rules, after the SAM transform; every
#      error, warning and informational finding fails;
#   2. aws-sam-translator: the CloudFormation the AWS::Serverless transform makes of the template
#      (function provided.al2023/arm64/bootstrap, timeouts within Tencent's 2 s, a public function
#      URL with both permissions AWS requires, the role allowing exactly what
#      pkg/store/dynamodb calls on its table; the archive purge's function: the same code and
#      variables, 900 s, one at a time, invoked by a daily schedule alone, its role allowing
#      exactly what a purge pass calls);
#   3. a self-test: broken copies of the template must fail those checks.
#
#   scripts/deploycheck/aws/check.sh [--require] [--no-self-test] [TEMPLATE]
#
# TEMPLATE defaults to the repository's template.yaml. Without cfn-lint or aws-sam-translator
# (pip install cfn-lint aws-sam-translator) the check is skipped with a message, or fails with
# --require (CI). Exit status non-zero on any failure; each is printed with the check's name.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
require=false
args=()
for a in "$@"; do
  case "$a" in
    --require) require=true ;;
    *) args+=("$a") ;;
  esac
done

missing=()
command -v python3 >/dev/null || missing+=("python3")
command -v cfn-lint >/dev/null || missing+=("cfn-lint")
if command -v python3 >/dev/null && ! python3 -c 'import samtranslator' 2>/dev/null; then
  missing+=("aws-sam-translator (the Python package samtranslator)")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  list=$(printf '%s; ' "${missing[@]}")
  list=${list%; }
  if $require; then
    echo "FAIL: template.yaml cannot be checked with AWS models: missing $list (pip install cfn-lint aws-sam-translator)"
    exit 1
  fi
  echo "SKIP: template.yaml not checked with AWS models: missing $list (pip install cfn-lint aws-sam-translator)"
  exit 0
fi

exec python3 "$here/check.py" ${args[@]+"${args[@]}"}
