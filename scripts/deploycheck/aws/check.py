#!/usr/bin/env python3
"""Checks template.yaml (AWS SAM) with AWS's own models, nothing leaving the machine.

    check.py [--no-self-test] [TEMPLATE]        (TEMPLATE defaults to the repository's template.yaml)

1. cfn-lint, every rule class failing the check: errors, warnings and informational findings
   (`cfn-lint --include-checks I --non-zero-exit-code informational`). template.yaml has none
   today; should a later cfn-lint add a finding that does not apply, ignore that rule here, by
   its id, with the reason beside it, rather than loosening the whole class.
2. aws-sam-translator, through its Python API (samtranslator.translator.transform.transform, the
   code CloudFormation's AWS::Serverless transform runs), turns the template into CloudFormation,
   and the assertions below run on that output: what AWS would create, not what the SAM source
   says. Inputs are as `sam deploy` sends them: CodeUri, a local directory that `sam build` and
   `sam deploy` turn into an S3 object, becomes a placeholder S3 URI. The translator asks the
   managed policy loader (normally IAM ListPolicies) only for a managed policy name it cannot
   resolve from its bundled map; the loader here is a stub that answers nothing and counts its
   calls, so no AWS call is made and a policy name needing IAM fails the check.
3. A self-test: the same checks on broken copies of the template (in memory; one written to a
   temporary file for cfn-lint) must fail, each with the assertion it targets. So every CI run
   proves the checks can fail.

Exit status: 0 when everything holds, 1 when a check or the self-test fails (each failure is
printed with the check's name), 2 on a usage error or a missing tool.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[3]
STORE_DIR = REPO / "pkg" / "store" / "dynamodb"

# Calls of the store package the function never makes: the table comes from the template, so
# CreateTable (run only when the table is missing: local runs and tools) is not granted, and
# BatchGetItem serves scripts/query alone.
# scripts/deploycheck/template_test.go (storeOnlyForTools) says the same.
STORE_CALLS_NOT_AT_RUN_TIME = {"BatchGetItem", "CreateTable"}

# What the archive purge's function (template.yaml's PurgeFunction, the same bootstrap run by an
# EventBridge schedule) may do, and nothing more: (action, resource, condition), the resource
# "table" or "index" (gsi1). A pass opens the store (DescribeTable; GetItem of the schema version
# item, and PutItem of that item alone, partition key SCHEMA, on a table no function has opened
# yet), lists each app's old archive (Query on gsi1), reads a room's archive (Query on the table)
# and deletes (DeleteItem). scripts/deploycheck/purge_test.go (purgeGrants) says the same, and
# watches a pass make exactly these calls on a DynamoDB-compatible server.
SCHEMA_ONLY = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["SCHEMA"]}}
PURGE_GRANTS = {
    ("dynamodb:DescribeTable", "table", None),
    ("dynamodb:GetItem", "table", None),
    ("dynamodb:Query", "table", None),
    ("dynamodb:DeleteItem", "table", None),
    ("dynamodb:Query", "index", None),
    ("dynamodb:PutItem", "table", json.dumps(SCHEMA_ONLY, sort_keys=True)),
}
PURGE_TIMEOUT_S = 900  # Lambda's longest: a pass stops a margin before it
DAILY_SCHEDULE = re.compile(r"^(cron\(([0-5]?[0-9]) (1?[0-9]|2[0-3]) \* \* \? \*\)|rate\(1 day\))$")

# Tencent waits 2 s for the answer; the function's timeout only bounds a stuck call, just above
# it, and the store's write budget (ROOMHOOK_STORE_TIMEOUT) lies below both
# (scripts/deploycheck/template_test.go, TestTemplateFunction).
TENCENT_BUDGET_S = 2.0
MAX_FUNCTION_TIMEOUT_S = 3
LAMBDA_DEFAULT_TIMEOUT_S = 3

CFN_LINT = ["cfn-lint", "--include-checks", "I", "--non-zero-exit-code", "informational"]

PLACEHOLDER_CODE = "s3://roomhook-deploycheck/roomhook-lambda-arm64.zip"
BASIC_EXECUTION_ARN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|\$\{AWS::Partition\}):iam::aws:policy/service-role/AWSLambdaBasicExecutionRole$"
)


# --- helpers ---------------------------------------------------------------------------------


def as_list(v: Any) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def getatt(v: Any) -> tuple[str, str] | None:
    """(resource, attribute) of a Fn::GetAtt in either form, else None."""
    if isinstance(v, dict) and len(v) == 1 and "Fn::GetAtt" in v:
        a = v["Fn::GetAtt"]
        if isinstance(a, str) and "." in a:
            a = a.split(".", 1)
        if isinstance(a, list) and len(a) == 2 and all(isinstance(x, str) for x in a):
            return a[0], a[1]
    return None


def refers_to_function(v: Any, fn_id: str) -> bool:
    return v == {"Ref": fn_id} or getatt(v) == (fn_id, "Arn")


def show(v: Any) -> str:
    return json.dumps(v, sort_keys=True)


def go_duration_s(s: Any) -> float | None:
    """Seconds in a Go duration literal ("1500ms", "1.5s", "1m"), None if it is not one."""
    if not isinstance(s, str):
        return None
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    parts = re.fullmatch(r"((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+", s)
    if not parts:
        return None if s != "0" else 0.0
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)", s))


def store_actions() -> list[str]:
    """The DynamoDB operations the store calls at run time, read from pkg/store/dynamodb: it reaches
    the SDK only through the method values newAPI (client.go) binds to its api struct's fields, so
    the operations are the methods bound there whose field some `….client.<field>(` call uses."""
    client = (STORE_DIR / "client.go").read_text()
    body = re.search(r"func newAPI\([^)]*\) api \{(.*?)\n\}", client, re.S)
    if not body:
        raise SystemExit(f"found no newAPI in {STORE_DIR / 'client.go'}: update store_actions")
    bound = dict(re.findall(r"(\w+):\s*c\.(\w+),", body.group(1)))
    used = set()
    for p in sorted(STORE_DIR.glob("*.go")):
        if not p.name.endswith("_test.go"):
            used |= set(re.findall(r"\.client\.(\w+)\(", p.read_text()))
    unbound = used - bound.keys()
    if unbound or not used:
        raise SystemExit(f"pkg/store/dynamodb calls {sorted(unbound) or 'nothing'} through s.client that newAPI does not bind: update store_actions")
    return sorted({bound[f] for f in used} - STORE_CALLS_NOT_AT_RUN_TIME)


class Failures:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, check: str, msg: str) -> None:
        self.items.append((check, msg))

    def __bool__(self) -> bool:
        return bool(self.items)


# --- the SAM transform -----------------------------------------------------------------------


def translate(sam: dict) -> tuple[dict | None, str | None, int]:
    """CloudFormation from aws-sam-translator: (template, error, calls to the policy loader)."""
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    class NoIAMLoader(ManagedPolicyLoader):
        def __init__(self) -> None:  # no boto client: nothing may reach IAM
            self.calls = 0

        def load(self) -> dict[str, str]:
            self.calls += 1
            return {}

    sam = copy.deepcopy(sam)
    for res in (sam.get("Resources") or {}).values():
        props = res.get("Properties") if isinstance(res, dict) else None
        if isinstance(props, dict) and res.get("Type") == "AWS::Serverless::Function":
            if isinstance(props.get("CodeUri"), str) and not props["CodeUri"].startswith("s3://"):
                props["CodeUri"] = PLACEHOLDER_CODE  # what sam build + sam deploy upload
    loader = NoIAMLoader()
    try:
        return transform(sam, {}, loader), None, loader.calls
    except InvalidDocumentException as e:
        return None, "; ".join(c.message for c in e.causes), loader.calls
    except Exception as e:  # the translator's other refusals
        return None, f"{type(e).__name__}: {e}", loader.calls


# --- the assertions on the CloudFormation output ---------------------------------------------


def check(sam: dict, actions: list[str]) -> tuple[Failures, list[str]]:
    """Runs every assertion on sam's transform; returns the failures and what held."""
    f = Failures()
    held: list[str] = []
    cfn, err, loader_calls = translate(sam)
    if err is not None:
        f.add("translate", f"aws-sam-translator refuses the template: {err}")
        return f, held
    held.append("aws-sam-translator transforms it into CloudFormation")
    if loader_calls:
        f.add("translate", "the translator asked IAM for managed policy names it could not resolve itself: "
              "name managed policies by ARN (or not at all), so the transform needs no AWS call")
    res = cfn.get("Resources", {})
    left = sorted(k for k, r in res.items() if str(r.get("Type", "")).startswith("AWS::Serverless::"))
    if left or "Transform" in cfn:
        f.add("translate", f"the output still holds SAM resources {left} or a Transform")

    def of_type(t: str) -> dict[str, dict]:
        return {k: r for k, r in res.items() if r.get("Type") == t}

    # The function, as scripts/build.sh lambda and the Makefile build it: the callback function,
    # and the archive purge's, told apart by the schedule rule that invokes the latter.
    fns = of_type("AWS::Lambda::Function")
    scheduled = {getatt(tg.get("Arn"))[0] for r in of_type("AWS::Events::Rule").values()
                 for tg in as_list((r.get("Properties") or {}).get("Targets")) if getatt(tg.get("Arn"))}
    callback_fns = {k: r for k, r in fns.items() if k not in scheduled}
    purge_fns = {k: r for k, r in fns.items() if k in scheduled}
    if len(callback_fns) != 1 or len(purge_fns) > 1:
        f.add("function", f"the output holds the AWS::Lambda::Function resources {sorted(fns)}, of which {sorted(purge_fns)} "
              "a schedule invokes: want roomhook's callback function, and at most one archive purge function")
        return f, held
    fn_id, fn = next(iter(callback_fns.items()))
    p = fn.get("Properties", {})
    n = len(f.items)
    want = {"Runtime": "provided.al2023", "Architectures": ["arm64"], "Handler": "bootstrap"}
    got = {k: p.get(k) for k in want}
    if got != want:
        f.add("function", f"{fn_id}: {show(got)}, want {show(want)} (the bootstrap binary scripts/build.sh lambda and the Makefile build)")
    if p.get("PackageType", "Zip") != "Zip" or not isinstance(p.get("Code"), dict) or "S3Key" not in p["Code"]:
        f.add("function", f"{fn_id}: PackageType {p.get('PackageType')}, Code {show(p.get('Code'))}: want a zip package")
    if len(f.items) == n:
        held.append(f"{fn_id}: provided.al2023, arm64, handler bootstrap, a zip")

    # Timeouts within Tencent's 2 s.
    n = len(f.items)
    timeout = p.get("Timeout", LAMBDA_DEFAULT_TIMEOUT_S)
    env = (p.get("Environment") or {}).get("Variables") or {}
    store_timeout = go_duration_s(env.get("ROOMHOOK_STORE_TIMEOUT"))
    if not isinstance(timeout, int) or timeout > MAX_FUNCTION_TIMEOUT_S:
        f.add("timeout", f"{fn_id}: Timeout {timeout!r}: Tencent gives up after {TENCENT_BUDGET_S:g} s, so the function's timeout "
              f"only bounds a stuck call, at most {MAX_FUNCTION_TIMEOUT_S} s")
    if store_timeout is None:
        f.add("timeout", f"{fn_id}: ROOMHOOK_STORE_TIMEOUT = {show(env.get('ROOMHOOK_STORE_TIMEOUT'))}, want a literal Go duration")
    elif store_timeout >= TENCENT_BUDGET_S or (isinstance(timeout, int) and store_timeout >= timeout):
        f.add("timeout", f"{fn_id}: ROOMHOOK_STORE_TIMEOUT = {env['ROOMHOOK_STORE_TIMEOUT']}: the store's budget must lie below "
              f"Tencent's {TENCENT_BUDGET_S:g} s and the function's Timeout ({timeout} s)")
    if len(f.items) == n:
        held.append(f"Timeout {timeout} s (at most {MAX_FUNCTION_TIMEOUT_S}), ROOMHOOK_STORE_TIMEOUT {env['ROOMHOOK_STORE_TIMEOUT']} "
                    f"(below Tencent's {TENCENT_BUDGET_S:g} s)")

    # The table the store writes: ROOMHOOK_STORE names it.
    table_id = None
    store = env.get("ROOMHOOK_STORE")
    m = re.fullmatch(r"dynamodb://\$\{(\w+)\}\?region=\$\{AWS::Region\}", store.get("Fn::Sub", "")) if isinstance(store, dict) and isinstance(store.get("Fn::Sub"), str) else None
    if not m or m.group(1) not in of_type("AWS::DynamoDB::Table"):
        f.add("store", f"{fn_id}: ROOMHOOK_STORE = {show(store)}, want Fn::Sub dynamodb://${{<a table of this template>}}?region=${{AWS::Region}}")
    else:
        table_id = m.group(1)

    purge_roles = {getatt((r.get("Properties") or {}).get("Role"))[0] for r in purge_fns.values()
                   if getatt((r.get("Properties") or {}).get("Role"))}
    check_role(f, held, res, fn_id, p, table_id, actions, purge_roles)
    check_url(f, held, res, fn_id)
    for purge_id, purge in purge_fns.items():
        check_purge(f, held, res, fn_id, fn, purge_id, purge, table_id, actions)
    if not purge_fns:
        held.append("no archive purge function: the template holds none, or no schedule invokes it")
    return f, held


def check_role(f: Failures, held: list[str], res: dict, fn_id: str, p: dict, table_id: str | None, actions: list[str],
               purge_roles: set[str]) -> None:
    """The least the DynamoDB store needs: its run-time actions on its table, plus the logs."""
    n = len(f.items)
    role = getatt(p.get("Role"))
    if not role or role[1] != "Arn" or res.get(role[0], {}).get("Type") != "AWS::IAM::Role":
        f.add("role", f"{fn_id}: Role {show(p.get('Role'))} is not a role of this template: its permissions cannot be checked")
        return
    role_id = role[0]
    extra = sorted(k for k, r in res.items() if str(r.get("Type", "")).startswith("AWS::IAM::") and k != role_id and k not in purge_roles)
    if extra:
        f.add("role", f"IAM resources besides {role_id} and the purge's {sorted(purge_roles)}: {extra}: the stack needs the functions' roles only")
    rp = res[role_id].get("Properties", {})

    trust = as_list((rp.get("AssumeRolePolicyDocument") or {}).get("Statement"))
    if len(trust) != 1 or trust[0].get("Effect") != "Allow" or as_list(trust[0].get("Action")) != ["sts:AssumeRole"] \
            or as_list((trust[0].get("Principal") or {}).get("Service")) != ["lambda.amazonaws.com"] or set(trust[0].get("Principal")) != {"Service"}:
        f.add("role", f"{role_id}: trust policy {show(trust)}, want lambda.amazonaws.com alone to assume it")

    managed = [m.get("Fn::Sub") if isinstance(m, dict) and len(m) == 1 and "Fn::Sub" in m else m for m in as_list(rp.get("ManagedPolicyArns"))]
    basic = [m for m in managed if isinstance(m, str) and BASIC_EXECUTION_ARN.match(m)]
    if not basic:
        f.add("role", f"{role_id}: no AWSLambdaBasicExecutionRole among the managed policies {show(managed)}: the function could not write its logs")
    for m in managed:
        if m not in basic:
            f.add("role", f"{role_id}: managed policy {show(m)} besides the basic execution one: more than the store needs")

    allowed: dict[str, str] = {}  # lower-case action -> as written
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]} if table_id else None
    for pol in as_list(rp.get("Policies")):
        name = pol.get("PolicyName")
        for st in as_list((pol.get("PolicyDocument") or {}).get("Statement")):
            if st.get("Effect") == "Deny":
                continue  # a deny only narrows
            for key in ("NotAction", "NotResource", "NotPrincipal"):
                if key in st:
                    f.add("policy", f"{role_id}/{name}: a statement with {key} allows everything it does not name")
            for a in as_list(st.get("Action")):
                if not isinstance(a, str):
                    f.add("policy", f"{role_id}/{name}: action {show(a)} is not a literal action")
                elif "*" in a or "?" in a:
                    f.add("policy", f"{role_id}/{name}: wildcard action {a}: grants more than the store needs ({', '.join(actions)})")
                elif not a.lower().startswith("dynamodb:"):
                    f.add("policy", f"{role_id}/{name}: action {a}: the store needs DynamoDB only (logs come from AWSLambdaBasicExecutionRole)")
                else:
                    allowed[a.lower()] = a
            for r in as_list(st.get("Resource")):
                if table_arn and getatt(r) == (table_id, "Arn"):
                    continue
                if "*" in show(r):
                    f.add("policy", f"{role_id}/{name}: wildcard resource {show(r)}: want the table's ARN only ({show(table_arn)})")
                else:
                    f.add("policy", f"{role_id}/{name}: resource {show(r)} is not the table's ARN ({show(table_arn)}): "
                          "the function reads and writes that table alone, not its index nor another table")
    want = {f"dynamodb:{a}".lower(): f"dynamodb:{a}" for a in actions}
    for a in sorted(want.keys() - allowed.keys()):
        f.add("policy", f"{role_id}: pkg/store/dynamodb calls {want[a].split(':')[1]} at run time but the role does not allow {want[a]}: "
              "that call would fail with AccessDenied")
    for a in sorted(allowed.keys() - want.keys()):
        f.add("policy", f"{role_id}: the role allows {allowed[a]}, which the function never calls at run time "
              f"(pkg/store/dynamodb calls {', '.join(actions)}): least privilege wants it gone")
    if len(f.items) == n:
        held.append(f"{role_id}: assumed by Lambda alone; AWSLambdaBasicExecutionRole plus exactly {', '.join(want.values())} "
                    f"on {table_id}'s ARN, what pkg/store/dynamodb calls at run time")


def check_purge(f: Failures, held: list[str], res: dict, fn_id: str, fn: dict, purge_id: str, purge: dict,
                table_id: str | None, actions: list[str]) -> None:
    """The archive purge's function: the callback function's code and variables, the longest timeout,
    one execution at a time, invoked by a daily schedule alone, with a role of exactly PURGE_GRANTS."""
    n = len(f.items)
    p, cp = purge.get("Properties", {}), fn.get("Properties", {})
    keys = ["Code", "Runtime", "Architectures", "Handler", "Environment", "MemorySize"]
    diff = [k for k in keys if p.get(k) != cp.get(k)]
    if diff or p.get("PackageType", "Zip") != cp.get("PackageType", "Zip"):
        f.add("purge", f"{purge_id}: {diff or ['PackageType']} differ from {fn_id}'s: the purge is the same bootstrap, "
              "with the same configuration")
    if p.get("Timeout") != PURGE_TIMEOUT_S:
        f.add("purge", f"{purge_id}: Timeout {p.get('Timeout')!r}, want {PURGE_TIMEOUT_S}: a pass stops a margin before it, "
              "and a short one leaves a long archive to many runs")
    if p.get("ReservedConcurrentExecutions") != 1:
        f.add("purge", f"{purge_id}: ReservedConcurrentExecutions {p.get('ReservedConcurrentExecutions')!r}, want 1: one pass at a time")

    # Invoked by a daily schedule, and by nothing else.
    rules = {k: r for k, r in res.items() if r.get("Type") == "AWS::Events::Rule"
             and any(getatt(tg.get("Arn")) == (purge_id, "Arn") for tg in as_list((r.get("Properties") or {}).get("Targets")))}
    for rid, r in rules.items():
        rp = r.get("Properties", {})
        if not DAILY_SCHEDULE.match(str(rp.get("ScheduleExpression"))) or rp.get("State", "ENABLED") != "ENABLED" or rp.get("EventPattern"):
            f.add("purge-schedule", f"{rid}: schedule {show(rp.get('ScheduleExpression'))}, state {rp.get('State')}: want once a day, enabled")
        for tg in as_list(rp.get("Targets")):
            if "Input" in tg or "InputPath" in tg or "InputTransformer" in tg:
                f.add("purge-schedule", f"{rid}: target input {show(tg)}: the function must receive the scheduled event itself")
        if r.get("Condition") != purge.get("Condition"):
            f.add("purge-schedule", f"{rid} under condition {r.get('Condition')}, {purge_id} under {purge.get('Condition')}")
    if len(rules) != 1:
        f.add("purge-schedule", f"{purge_id} is the target of the rules {sorted(rules)}, want one daily schedule")
    perms = {k: r for k, r in res.items() if r.get("Type") == "AWS::Lambda::Permission"
             and refers_to_function((r.get("Properties") or {}).get("FunctionName"), purge_id)}
    for pid, r in perms.items():
        pp = r.get("Properties", {})
        if pp.get("Principal") != "events.amazonaws.com" or getatt(pp.get("SourceArn")) not in {(rid, "Arn") for rid in rules} \
                or pp.get("Action") != "lambda:InvokeFunction":
            f.add("purge-permission", f"{pid}: {pp.get('Principal')} may call {pp.get('Action')} on {purge_id} "
                  f"(SourceArn {show(pp.get('SourceArn'))}): only its schedule's rule may invoke it")
    if len(perms) != 1:
        f.add("purge-permission", f"{purge_id} has the permissions {sorted(perms)}, want its schedule's alone")

    # Its role: exactly PURGE_GRANTS, each an action the store calls.
    role = getatt(p.get("Role"))
    if not role or res.get(role[0], {}).get("Type") != "AWS::IAM::Role":
        f.add("purge-role", f"{purge_id}: Role {show(p.get('Role'))} is not a role of this template")
        return
    rp = res[role[0]].get("Properties", {})
    managed = [m.get("Fn::Sub") if isinstance(m, dict) and len(m) == 1 and "Fn::Sub" in m else m for m in as_list(rp.get("ManagedPolicyArns"))]
    if len(managed) != 1 or not isinstance(managed[0], str) or not BASIC_EXECUTION_ARN.match(managed[0]):
        f.add("purge-role", f"{role[0]}: managed policies {show(managed)}, want AWSLambdaBasicExecutionRole alone (the logs)")
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]} if table_id else None
    index_arn = {"Fn::Sub": "${%s.Arn}/index/gsi1" % table_id} if table_id else None
    granted = set()
    for pol in as_list(rp.get("Policies")):
        for st in as_list((pol.get("PolicyDocument") or {}).get("Statement")):
            if st.get("Effect") != "Allow" or any(k in st for k in ("NotAction", "NotResource", "NotPrincipal")):
                f.add("purge-role", f"{role[0]}: statement {show(st)}: want Allow statements of Action and Resource only")
                continue
            cond = json.dumps(st["Condition"], sort_keys=True) if "Condition" in st else None
            for a in as_list(st.get("Action")):
                for r in as_list(st.get("Resource")):
                    where = "table" if r == table_arn or getatt(r) == (table_id, "Arn") else "index" if r == index_arn else show(r)
                    granted.add((a, where, cond))
    for a, where, cond in sorted(granted - PURGE_GRANTS, key=str):
        f.add("purge-role", f"{role[0]}: allows {a} on {where}{' if ' + cond if cond else ''}, which a purge pass never needs")
    for a, where, cond in sorted(PURGE_GRANTS - granted, key=str):
        f.add("purge-role", f"{role[0]}: does not allow {a} on {where}{' if ' + cond if cond else ''}: a purge pass would fail with AccessDenied")
    for a, _, _ in PURGE_GRANTS:
        if a.split(":")[1] not in actions:
            f.add("purge-role", f"PURGE_GRANTS grants {a}, which pkg/store/dynamodb does not call at run time ({', '.join(actions)})")
    if len(f.items) == n:
        held.append(f"{purge_id}: {fn_id}'s code and variables, Timeout {PURGE_TIMEOUT_S} s, one at a time, invoked by a daily "
                    f"schedule alone; its role allows exactly {', '.join(sorted(a + ' on ' + w + (' (SCHEMA only)' if c else '') for a, w, c in PURGE_GRANTS))}")


def check_url(f: Failures, held: list[str], res: dict, fn_id: str) -> None:
    """A public function URL (AuthType NONE) with both permissions AWS requires since October 2025."""
    n = len(f.items)
    urls = {k: r for k, r in res.items() if r.get("Type") == "AWS::Lambda::Url"}
    if len(urls) != 1:
        f.add("url", f"the output holds {len(urls)} AWS::Lambda::Url resources ({sorted(urls)}), want the function URL")
        return
    url_id, url = next(iter(urls.items()))
    up = url.get("Properties", {})
    if up.get("AuthType") != "NONE":
        f.add("url", f"{url_id}: AuthType {show(up.get('AuthType'))}, want NONE: Tencent's callbacks carry no AWS signature, "
              "each is authenticated by its own Sign")
    if not refers_to_function(up.get("TargetFunctionArn"), fn_id):
        f.add("url", f"{url_id}: TargetFunctionArn {show(up.get('TargetFunctionArn'))}, want {fn_id}'s")

    url_perm = invoke_perm = None
    for pid, r in sorted(res.items()):
        if r.get("Type") != "AWS::Lambda::Permission":
            continue
        pp = r.get("Properties", {})
        if not refers_to_function(pp.get("FunctionName"), fn_id):
            continue
        action = pp.get("Action")
        if pp.get("Principal") != "*":
            if not pp.get("SourceArn"):
                f.add("permission", f"{pid}: {pp.get('Principal')} may call {action} on the function from anywhere: want a SourceArn")
            continue
        if action == "lambda:InvokeFunctionUrl":
            if pp.get("FunctionUrlAuthType") != "NONE":
                f.add("url-permission", f"{pid}: public lambda:InvokeFunctionUrl with FunctionUrlAuthType {show(pp.get('FunctionUrlAuthType'))}, want NONE")
            else:
                url_perm = (pid, r)
        elif action == "lambda:InvokeFunction":
            if pp.get("InvokedViaFunctionUrl") is not True:
                f.add("url-invoke-permission", f"{pid}: public lambda:InvokeFunction without InvokedViaFunctionUrl: true lets anyone "
                      "invoke the function directly, not only through its URL")
            else:
                invoke_perm = (pid, r)
        else:
            f.add("permission", f"{pid}: public permission for {show(action)}: only lambda:InvokeFunctionUrl and lambda:InvokeFunction "
                  "(via the function URL) may be public")
    if url_perm is None:
        f.add("url-permission", "no public lambda:InvokeFunctionUrl permission with FunctionUrlAuthType NONE: the function URL would answer 403")
    if invoke_perm is None:
        f.add("url-invoke-permission", "no public lambda:InvokeFunction permission with InvokedViaFunctionUrl: true: since October 2025 "
              "AWS requires it besides lambda:InvokeFunctionUrl for a public function URL (without it the URL answers 403); "
              "declare it in template.yaml as an AWS::Lambda::Permission")
    for perm in (url_perm, invoke_perm):
        if perm and perm[1].get("Condition") != url.get("Condition"):
            f.add("url-condition", f"{url_id} is under condition {url.get('Condition') or '(none)'} but {perm[0]} under "
                  f"{perm[1].get('Condition') or '(none)'}: a deploy could create the URL without its permission, or the reverse")
    if len(f.items) == n:
        cond = f" (under condition {url['Condition']})" if url.get("Condition") else ""
        held.append(f"{url_id}: AuthType NONE{cond}, with {url_perm[0]} (lambda:InvokeFunctionUrl, FunctionUrlAuthType NONE) "
                    f"and {invoke_perm[0]} (lambda:InvokeFunction, InvokedViaFunctionUrl true); every other permission has a SourceArn")


# --- the self-test ---------------------------------------------------------------------------


def resources(t: dict, typ: str) -> list[dict]:
    return [r for r in t["Resources"].values() if r.get("Type") == typ]


def function_props(t: dict) -> dict:
    """The callback function's properties: the function an HTTP API route invokes."""
    return next(r["Properties"] for r in resources(t, "AWS::Serverless::Function")
                if any(e.get("Type") == "HttpApi" for e in (r["Properties"].get("Events") or {}).values()))


def purge_props(t: dict) -> dict:
    """The archive purge function's properties: the function a schedule invokes."""
    return next(r["Properties"] for r in resources(t, "AWS::Serverless::Function")
                if any(e.get("Type") == "Schedule" for e in (r["Properties"].get("Events") or {}).values()))


def purge_statement(t: dict, sid: str) -> dict:
    return next(st for st in purge_props(t)["Policies"][0]["Statement"] if st.get("Sid") == sid)


def permission(t: dict, action: str) -> dict:
    return next(r for r in resources(t, "AWS::Lambda::Permission") if r["Properties"].get("Action") == action)


def drop_permission(t: dict, action: str) -> None:
    t["Resources"] = {k: r for k, r in t["Resources"].items()
                      if not (r.get("Type") == "AWS::Lambda::Permission" and r["Properties"].get("Action") == action)}


def statement(t: dict) -> dict:
    return function_props(t)["Policies"][0]["Statement"][0]


def set_in(path: list[str], value: Any) -> Callable[[dict], None]:
    def mutate(t: dict) -> None:
        d = function_props(t)
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value
    return mutate


def table_id_of(t: dict) -> str:
    return next(k for k, r in t["Resources"].items() if r.get("Type") == "AWS::DynamoDB::Table")


# (what is broken, how, the check that must catch it, a phrase its message must hold)
NEGATIVE_CASES: list[tuple[str, Callable[[dict], None], str, str]] = [
    ("the lambda:InvokeFunction permission removed",
     lambda t: drop_permission(t, "lambda:InvokeFunction"), "url-invoke-permission", "since October 2025"),
    ("InvokedViaFunctionUrl removed from the lambda:InvokeFunction permission",
     lambda t: permission(t, "lambda:InvokeFunction")["Properties"].pop("InvokedViaFunctionUrl"), "url-invoke-permission", "directly"),
    ("the lambda:InvokeFunctionUrl permission removed",
     lambda t: drop_permission(t, "lambda:InvokeFunctionUrl"), "url-permission", "answer 403"),
    ("FunctionUrlAuthType AWS_IAM on the lambda:InvokeFunctionUrl permission",
     lambda t: permission(t, "lambda:InvokeFunctionUrl")["Properties"].update(FunctionUrlAuthType="AWS_IAM"), "url-permission", "want NONE"),
    ("the function URL's AuthType AWS_IAM",
     lambda t: resources(t, "AWS::Lambda::Url")[0]["Properties"].update(AuthType="AWS_IAM"), "url", "AuthType"),
    ("the function URL without its permissions' condition",
     lambda t: resources(t, "AWS::Lambda::Url")[0].pop("Condition"), "url-condition", "without its permission"),
    ("dynamodb:* added to the policy",
     lambda t: statement(t)["Action"].append("dynamodb:*"), "policy", "wildcard action dynamodb:*"),
    ("the policy's resource *",
     lambda t: statement(t).update(Resource="*"), "policy", "wildcard resource"),
    ("the policy on the table's index too",
     lambda t: statement(t).update(Resource=[{"Fn::GetAtt": [table_id_of(t), "Arn"]}, {"Fn::Sub": "${%s.Arn}/index/gsi1" % table_id_of(t)}]),
     "policy", "not the table's ARN"),
    ("dynamodb:BatchWriteItem added to the policy",
     lambda t: statement(t)["Action"].append("dynamodb:BatchWriteItem"), "policy", "never calls"),
    ("dynamodb:Scan removed from the policy",
     lambda t: statement(t)["Action"].remove("dynamodb:Scan"), "policy", "AccessDenied"),
    ("s3:GetObject added to the policy",
     lambda t: statement(t)["Action"].append("s3:GetObject"), "policy", "DynamoDB only"),
    ("SAM's DynamoDBCrudPolicy template instead of the inline policy",
     lambda t: function_props(t).update(Policies=[{"DynamoDBCrudPolicy": {"TableName": {"Ref": table_id_of(t)}}}]), "policy", "never calls"),
    ("the managed policy AmazonDynamoDBFullAccess added",
     lambda t: function_props(t)["Policies"].append("AmazonDynamoDBFullAccess"), "role", "managed policy"),
    ("a managed policy name only IAM could resolve",
     lambda t: function_props(t)["Policies"].append("RoomhookNoSuchManagedPolicy"), "translate", "asked IAM"),
    ("Runtime provided.al2", set_in(["Runtime"], "provided.al2"), "function", "provided.al2023"),
    ("Architectures [x86_64]", set_in(["Architectures"], ["x86_64"]), "function", "arm64"),
    ("Handler main", set_in(["Handler"], "main"), "function", "bootstrap"),
    ("Timeout 30", set_in(["Timeout"], 30), "timeout", "stuck call"),
    ("ROOMHOOK_STORE_TIMEOUT 2s", set_in(["Environment", "Variables", "ROOMHOOK_STORE_TIMEOUT"], "2s"), "timeout", "below"),
    ("dynamodb:Scan added to the purge's policy",
     lambda t: purge_statement(t, "RoomhookPurgeTable")["Action"].append("dynamodb:Scan"), "purge-role", "never needs"),
    ("the purge's Query on the index removed",
     lambda t: purge_props(t)["Policies"][0]["Statement"].remove(purge_statement(t, "RoomhookPurgeIndex")), "purge-role", "AccessDenied"),
    ("the purge's PutItem without its SCHEMA condition",
     lambda t: purge_statement(t, "RoomhookSchemaVersion").pop("Condition"), "purge-role", "never needs"),
    ("the purge's timeout 3", lambda t: purge_props(t).update(Timeout=3), "purge", "Timeout"),
    ("the purge's ReservedConcurrentExecutions removed",
     lambda t: purge_props(t).pop("ReservedConcurrentExecutions"), "purge", "one pass at a time"),
    ("a variable of the purge that differs",
     lambda t: purge_props(t)["Environment"]["Variables"].update(ROOMHOOK_LOG_LEVEL="debug"), "purge", "Environment"),
    ("the purge every minute",
     lambda t: next(iter(purge_props(t)["Events"].values()))["Properties"].update(Schedule="rate(1 minute)"), "purge-schedule", "once a day"),
    ("an input in place of the purge's scheduled event",
     lambda t: next(iter(purge_props(t)["Events"].values()))["Properties"].update(Input='{"source":"x"}'), "purge-schedule", "scheduled event itself"),
    ("an event type SAM does not know",
     lambda t: next(iter(function_props(t)["Events"].values())).update(Type="HttpApiV3"), "translate", "refuses"),
]


def cfn_lint_broken(sam: dict) -> dict:
    """A copy cfn-lint must refuse: the function URL's AuthType outside CloudFormation's enum."""
    t = copy.deepcopy(sam)
    resources(t, "AWS::Lambda::Url")[0]["Properties"]["AuthType"] = "PUBLIC"
    return t


def self_test(sam: dict, actions: list[str]) -> list[str]:
    problems = []
    for what, mutate, want_check, want_phrase in NEGATIVE_CASES:
        t = copy.deepcopy(sam)
        try:
            mutate(t)
        except (KeyError, IndexError, StopIteration, TypeError, ValueError) as e:
            problems.append(f"cannot apply negative case '{what}' to this template ({type(e).__name__}: {e}): update NEGATIVE_CASES")
            continue
        failures, _ = check(t, actions)
        hits = [m for c, m in failures.items if c == want_check and want_phrase in m]
        if hits:
            print(f"  caught: {what}\n          -> {want_check}: {hits[0]}")
        else:
            got = "\n            ".join(f"{c}: {m}" for c, m in failures.items) or "nothing"
            problems.append(f"negative case '{what}' was not caught by check '{want_check}' (phrase '{want_phrase}'); it failed:\n            {got}")
    return problems


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    args = argv[1:]
    run_self_test = "--no-self-test" not in args
    args = [a for a in args if a != "--no-self-test"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    template = Path(args[0]) if args else REPO / "template.yaml"
    if not template.is_file():
        print(f"no template at {template}", file=sys.stderr)
        return 2
    try:
        import samtranslator
        from samtranslator.yaml_helper import yaml_parse
    except ImportError:
        print("aws-sam-translator is not installed (pip install aws-sam-translator)", file=sys.stderr)
        return 2
    if shutil.which("cfn-lint") is None:
        print("cfn-lint is not installed (pip install cfn-lint)", file=sys.stderr)
        return 2
    # The translator resolves the partition from the region (boto's resolution, no network).
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    # transform() records metrics for a publisher that discards them (DummyMetricsPublisher) and
    # warns on exit that nobody published them: silence that one logger.
    logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)
    start = time.monotonic()
    ok = True

    sam = yaml_parse(template.read_text())
    actions = store_actions()

    # cfn-lint runs beside the translator: on the template and, for the self-test, on a broken copy.
    with tempfile.TemporaryDirectory(prefix="roomhook-awscheck-") as tmp:
        lint = subprocess.Popen(CFN_LINT + ["--", str(template)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        broken_lint = None
        if run_self_test:
            broken = Path(tmp) / "template-broken.json"
            broken.write_text(json.dumps(cfn_lint_broken(sam), indent=1))
            broken_lint = subprocess.Popen(CFN_LINT + ["--", str(broken)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        print(f"== aws-sam-translator {samtranslator.__version__}: {template}")
        failures, held = check(sam, actions)
        for h in held:
            print(f"  ok: {h}")
        for c, m in failures.items:
            print(f"  FAIL {c}: {m}")
        ok &= not failures

        cmd = " ".join(CFN_LINT + ["--", str(template)])
        out, _ = lint.communicate()
        version = subprocess.run(["cfn-lint", "--version"], capture_output=True, text=True).stdout.strip()
        print(f"== {version}: {cmd}")
        if lint.returncode != 0:
            ok = False
            print(f"  FAIL cfn-lint: exit status {lint.returncode}:\n" + "\n".join("    " + l for l in out.strip().splitlines()))
        else:
            print("  ok: no error, warning or informational finding")

        if run_self_test:
            print("== self-test: each broken copy must fail the check that targets it")
            problems = self_test(sam, actions)
            out, _ = broken_lint.communicate()
            if broken_lint.returncode == 0:
                problems.append("cfn-lint accepted a copy whose function URL has AuthType PUBLIC")
            else:
                first = next((l for l in out.splitlines() if l.strip()), "")
                print(f"  caught: the function URL's AuthType PUBLIC (cfn-lint, exit status {broken_lint.returncode})\n          -> {first}")
            for p in problems:
                print(f"  FAIL self-test: {p}")
            ok &= not problems
            print(f"  {len(NEGATIVE_CASES) + 1 - len(problems)} of {len(NEGATIVE_CASES) + 1} negative cases caught")

    print(f"== {'ok' if ok else 'FAILED'}: {template} ({time.monotonic() - start:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
