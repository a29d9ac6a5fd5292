"""Every AWS call the code makes is allowed by its function's role, and nothing more is granted
(issue 22, item 1).

The calls are not a list written here: tests/aws_recorder.py records every AWS operation the
test suite makes, by runtime, into infra/aws-calls.json (a run that makes a call not in the file
updates it and fails). Each call is mapped to the IAM actions AWS documents for it, with the
concrete resource and the condition keys AWS sets, and evaluated by an IAM policy evaluator
(@cloud-copilot/iam-simulate, tests/iam_simulate.mjs) against the rendered template's role
policies and the CI/CD stack's permissions boundary.
"""

from __future__ import annotations

import json
from email.utils import parseaddr
from typing import Any

import pytest

from tests import iam_policies as iam
from tests.aws_recorder import HANDLER_RUNTIMES, Recorder, load_record

# The ops function runs these commands (voldash_site.lambda_ops.ALLOWED), each the same use case
# as a worker (voldash_site.lambda_workers): its role needs whatever that worker's calls need.
COMMAND_RUNS_WORKER = {
    "process_inbox": "inbox",
    "deliver_outbox": "outbox",
    "sync_clickup": "reconcile",
    "remind_stale_claims": "reconcile",
    "send_shop_digests": "reconcile",
}

# What AWS documents each recorded operation needs (Service Authorization Reference and each
# API's "Permissions" section). A TransactWriteItems part is authorized as its own action.
TRANSACT_PART = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    # "ConditionCheck: requires dynamodb:ConditionCheckItem" (DynamoDB developer guide, IAM with
    # transactions): without it every transaction with a condition-check part is AccessDenied.
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",  # TransactGetItems
}
SAME_NAME = {
    ("dynamodb", op)
    for op in (
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "DescribeTable",
        "BatchGetItem",
    )
} | {("dynamodb", "BatchWriteItem"), ("secretsmanager", "GetSecretValue"), ("s3", "PutObject")}
SAMPLE_KEY = "0123456789abcdef0123456789abcdef"


def resource_for(call: dict[str, Any], resolver: iam.Resolver) -> dict[str, str]:
    """The recorded symbols ($Table, $UploadsBucket...) as the deployed stack's ARNs."""
    table = call.get("table")
    names = {
        "table": iam.TABLE_ARN
        if table == "$Table"
        else f"arn:aws:dynamodb:{iam.REGION}:{iam.ACCOUNT}:table/{table}",
    }
    if call.get("index"):
        names["table"] += f"/index/{call['index']}"
    if "bucket" in call:
        bucket = resolver.ref("UploadsBucket") if call["bucket"] == "$UploadsBucket" else call["bucket"]
        names["bucket"] = f"arn:aws:s3:::{bucket}"
        names["object"] = f"arn:aws:s3:::{bucket}/{call.get('key', '').replace('{token}', SAMPLE_KEY)}"
    if "secret" in call:
        names["secret"] = resolver.ref("AppSecrets")
    return names


def _table_arn(entry: str) -> str:
    _kind, table = entry.split(":", 1)
    return (
        iam.TABLE_ARN if table == "$Table" else f"arn:aws:dynamodb:{iam.REGION}:{iam.ACCOUNT}:table/{table}"
    )


def requests_for(call: dict[str, Any], resolver: iam.Resolver) -> list[tuple[str, str, dict[str, Any]]]:
    """(IAM action, resource ARN, request context) for one recorded call."""
    service, operation = call["service"], call["operation"]
    names = resource_for(call, resolver)
    if service == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        return [(TRANSACT_PART[p.split(":")[0]], _table_arn(p), {}) for p in call["parts"]]
    if service == "dynamodb" and operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", _table_arn(p), {}) for p in call["parts"]]
    if service == "s3" and operation in ("GetObject", "HeadObject"):
        # Without s3:ListBucket, S3 answers a missing key with 403 AccessDenied, not 404
        # NoSuchKey (S3 API reference, GetObject "Permissions"): the outbox asks for photos that
        # were never uploaded and must see "not found".
        return [("s3:GetObject", names["object"], {}), ("s3:ListBucket", names["bucket"], {})]
    if service == "s3" and operation == "PresignedPost":
        # The browser's POST is authorized as s3:PutObject of the role that signed the policy.
        return [("s3:PutObject", names["object"], {})]
    if service == "sesv2" and operation == "SendEmail":
        sender = call["from"]
        if sender == "$EmailFromAddress":
            sender = parseaddr(resolver.parameters["EmailFrom"])[1]
        identity = f"arn:aws:ses:{iam.REGION}:{iam.ACCOUNT}:identity/{sender.rsplit('@', 1)[-1]}"
        return [("ses:SendEmail", identity, {"ses:FromAddress": sender})]
    if (service, operation) in SAME_NAME:
        resource = names.get("secret") or names.get("object") if service != "dynamodb" else names["table"]
        return [(f"{service}:{operation}", resource, {})]
    raise AssertionError(f"map {service} {operation} to its IAM actions in tests/test_iam_calls.py")


# Actions AWS itself performs with a function's role, not the code: each derived below from what
# the rendered template configures for the function, with the reason.
AWS_ITSELF = {
    "logs:CreateLogGroup": "Lambda creates the function's log group if missing (AWSLambdaBasicExecutionRole)",
    "logs:CreateLogStream": "Lambda writes the function's logs",
    "logs:PutLogEvents": "Lambda writes the function's logs",
    "dynamodb:DescribeStream": "a DynamoDB stream event source mapping polls with the function's role",
    "dynamodb:GetRecords": "a DynamoDB stream event source mapping polls with the function's role",
    "dynamodb:GetShardIterator": "a DynamoDB stream event source mapping polls with the function's role",
    "dynamodb:ListStreams": "a DynamoDB stream event source mapping polls with the function's role",
    "sqs:SendMessage": "Lambda sends failed async events (DeadLetterQueue) and stream batches "
    "(OnFailure destination) with the function's role",
}


def aws_itself(function: dict[str, Any], resolver: iam.Resolver) -> list[tuple[str, str, dict[str, Any]]]:
    props = function["Properties"]
    name = resolver.ref(function["_logical"])
    group = f"arn:aws:logs:{iam.REGION}:{iam.ACCOUNT}:log-group:/aws/lambda/{name}"
    found = [
        ("logs:CreateLogGroup", f"{group}", {}),
        ("logs:CreateLogStream", f"{group}:log-stream:2026/12/01/[$LATEST]0a1b", {}),
        ("logs:PutLogEvents", f"{group}:log-stream:2026/12/01/[$LATEST]0a1b", {}),
    ]
    if "DeadLetterConfig" in props:
        found.append(("sqs:SendMessage", resolver.resolve(props["DeadLetterConfig"]["TargetArn"]), {}))
    for mapping in function["_mappings"]:
        stream = resolver.resolve(mapping["Properties"]["EventSourceArn"])
        for action in ("DescribeStream", "GetRecords", "GetShardIterator"):
            found.append((f"dynamodb:{action}", stream, {}))
        found.append(("dynamodb:ListStreams", "*", {}))  # takes no resource (the reference: "*" only)
        failure = mapping["Properties"].get("DestinationConfig", {}).get("OnFailure", {})
        if failure:
            found.append(("sqs:SendMessage", resolver.resolve(failure["Destination"]), {}))
    return found


def evaluate(app: dict[str, Any], cicd: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Every recorded call of every runtime against its role and the boundary.

    Returns the denied requests, the granted actions no call (or AWS itself) uses, per role and
    for the boundary, and the counts.
    """
    resolver = iam.app_resolver(app)
    boundary_arn = iam.cicd_resolver(cicd).ref("AppRoleBoundary")
    boundary_doc = iam.cicd_resolver(cicd).resolve(
        cicd["Resources"]["AppRoleBoundary"]["Properties"]["PolicyDocument"]
    )
    resources = app["Resources"]
    functions = {
        k: {**v, "_logical": k, "_mappings": []}
        for k, v in resources.items()
        if v["Type"] == "AWS::Lambda::Function"
    }
    for mapping in (v for v in resources.values() if v["Type"] == "AWS::Lambda::EventSourceMapping"):
        functions[mapping["Properties"]["FunctionName"]["Ref"]]["_mappings"].append(mapping)
    roles: dict[str, dict[str, Any]] = {}
    for name, function in functions.items():
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        runtime = HANDLER_RUNTIMES[function["Properties"]["Handler"]]
        entry = roles.setdefault(role, {"runtimes": set(), "requests": []})
        entry["runtimes"].add(runtime)
        if runtime == "ops":
            allowed = Recorder().ops_commands
            entry["runtimes"] |= {
                worker for command, worker in COMMAND_RUNS_WORKER.items() if command in allowed
            }
        entry["requests"] += [(*r, f"AWS itself ({name})") for r in aws_itself(function, resolver)]
    report: dict[str, Any] = {"denied": [], "unused": {}, "granted": {}, "used": {}, "errors": []}
    jobs, labels = [], []
    used_anywhere: set[str] = set()
    for role_name, entry in sorted(roles.items()):
        props = resolver.resolve(resources[role_name]["Properties"])
        identity = [p["PolicyDocument"] for p in props.get("Policies", [])]
        identity += [iam.managed_policy(arn) for arn in props.get("ManagedPolicyArns", [])]
        boundary = None
        if "PermissionsBoundary" in props:
            assert props["PermissionsBoundary"] == boundary_arn, "the roles carry the CI/CD stack's boundary"
            boundary = [boundary_doc]
        requests = list(entry["requests"])
        for call in calls:
            if call["runtime"] in entry["runtimes"]:
                requests += [
                    (*r, f"{call['runtime']}: {call['service']} {call['operation']}")
                    for r in requests_for(call, resolver)
                ]
        used = {action for action, *_ in requests}
        used_anywhere |= used
        granted = iam.actions_of(identity)
        report["granted"][role_name] = sorted(granted)
        report["used"][role_name] = sorted(used)
        report["unused"][role_name] = sorted(a for a in granted if a not in used)
        principal = resolver.get_att(role_name, "Arn")
        for action, resource, context, why in sorted(
            set((a, r, json.dumps(c), w) for a, r, c, w in requests)
        ):
            jobs.append(
                {
                    "principal": principal,
                    "action": action,
                    "resource": resource,
                    "context": json.loads(context),
                    "identity": identity,
                    "boundary": boundary,
                }
            )
            labels.append((role_name, action, resource, why))
    for label, result in zip(labels, iam.simulate(jobs), strict=True):
        if result["result"] == "Error":
            report["errors"].append((*label, result["errors"]))
        elif result["result"] != "Allowed":
            report["denied"].append((*label, result["result"]))
    report["unused"]["AppRoleBoundary"] = sorted(
        a for a in iam.actions_of([boundary_doc]) if a not in used_anywhere
    )
    report["requests"] = len(jobs)
    return report


@pytest.fixture(scope="module")
def calls() -> list[dict[str, Any]]:
    recorded = load_record()
    assert recorded, "infra/aws-calls.json is empty: run the suite (tests/aws_recorder.py records it)"
    return recorded


def test_every_runtime_made_calls_the_suite_recorded(calls):
    runtimes = {c["runtime"] for c in calls}
    assert runtimes == set(HANDLER_RUNTIMES.values()), runtimes
    # The calls that broke in production (issue 22) are among them.
    kinds = {(c["runtime"], p.split(":")[0]) for c in calls for p in c.get("parts", [])}
    assert ("http", "ConditionCheck") in kinds
    assert {(c["runtime"], c["operation"]) for c in calls} >= {
        ("http", "PresignedPost"),
        ("http", "SendEmail"),
        ("outbox", "GetObject"),  # the ops role inherits it: its deliver_outbox runs the same use case
    }


def test_every_recorded_call_is_allowed_and_nothing_more_is_granted(calls):
    report = evaluate(iam.rendered_app(iam.APP_PARAMETERS), iam.plain("template-cicd.yaml"), calls)
    assert not report["errors"], report["errors"][:5]
    assert not report["denied"], "\n".join(map(str, report["denied"]))
    assert report["unused"] == {name: [] for name in report["unused"]}, report["unused"]
    print(
        "\n".join(
            f"{role}: granted {len(report['granted'][role])}, used {len(report['used'][role])}"
            for role in report["granted"]
        )
    )


def _without(document: dict[str, Any], action: str) -> None:
    for statement in iam.statements(document):
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in listed if a != action] or ["sts:GetCallerIdentity"]


@pytest.mark.parametrize(
    ("action", "where"),
    [
        ("dynamodb:ConditionCheckItem", "roles"),
        ("dynamodb:ConditionCheckItem", "boundary"),
        ("s3:ListBucket", "roles"),
        ("s3:ListBucket", "boundary"),
    ],
)
def test_the_evaluation_catches_a_missing_action(calls, action, where):
    """Proof that the check above is not vacuous: the actions once removed as "unused"."""
    app = iam.rendered_app(iam.APP_PARAMETERS)
    cicd = iam.plain("template-cicd.yaml")
    if where == "roles":
        for resource in app["Resources"].values():
            if resource["Type"] == "AWS::IAM::Role":
                for policy in resource["Properties"].get("Policies", []):
                    _without(policy["PolicyDocument"], action)
    else:
        _without(cicd["Resources"]["AppRoleBoundary"]["Properties"]["PolicyDocument"], action)
    report = evaluate(app, cicd, calls)
    denied = {(role, a) for role, a, *_ in report["denied"]}
    assert denied, f"removing {action} from the {where} went unnoticed"
    assert {a for _, a in denied} == {action}
