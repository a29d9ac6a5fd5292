"""The SAM templates against how SAM and CloudFormation behave at deploy time (issue 13).

Nothing here reaches AWS. The rendered template is SAM's own translation (aws-sam-translator,
which cfn-lint ships); what CloudFormation calls for each resource type is the resource
provider's published schema (``handlers.*.permissions``, which cfn-lint ships too).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from voldash_site.dynamodb.schema import load_template

ROOT = Path(__file__).resolve().parents[1]


@cache
def template(name: str = "template.yaml") -> dict[str, Any]:
    return load_template(ROOT / name)


def resources(name: str = "template.yaml", type_: str | None = None) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template(name)["Resources"].items() if type_ is None or v["Type"] == type_}


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}  # the roles name managed policies by ARN; nothing to look up


@cache
def rendered() -> dict[str, Any]:
    """template.yaml after SAM's own transform (aws-sam-translator): what CloudFormation creates."""
    import os

    from cfnlint.decode import decode
    from samtranslator.translator.transform import transform

    tpl, matches = decode(str(ROOT / "template.yaml"))
    assert not matches, matches
    tpl = json.loads(json.dumps(tpl, default=str))
    tpl["Globals"]["Function"]["CodeUri"] = "s3://artifacts/lambda.zip"  # what `sam deploy` uploads
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-2")
    parameters = {
        "DomainName": "voldash.asmbly.org",
        "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d",
    }
    return transform(tpl, parameters, _NoManagedPolicies())


# --- 1. CI can start: its own bucket, never SAM's managed stack ---------------------------


def test_ci_deploys_to_the_cicd_stacks_bucket_not_to_sams_managed_stack():
    workflow = (ROOT / ".github" / "workflows" / "backend.yml").read_text()
    deploy = workflow.split("name: Deploy", 1)[1]
    # samconfig.toml says resolve_s3 = true; --resolve-s3 with --s3-bucket is an error in SAM
    # (DeployResolveS3AndS3SetError), so CI must turn it off explicitly.
    assert "--no-resolve-s3" in deploy and "--s3-bucket ${{ vars.SAM_ARTIFACT_BUCKET }}" in deploy
    assert "PermissionsBoundaryArn=${{ vars.PERMISSIONS_BOUNDARY_ARN }}" in deploy
    cicd = template("template-cicd.yaml")
    assert cicd["Resources"]["ArtifactBucket"]["Type"] == "AWS::S3::Bucket"
    assert "ArtifactBucketName" in cicd["Outputs"] and "PermissionsBoundaryArn" in cicd["Outputs"]
    assert "aws-sam-cli-managed-default" not in json.dumps(cicd["Resources"]["DeployRole"])


# --- 3. a failed first deploy can be retried -------------------------------------------------


def test_kept_data_survives_deletion_but_not_a_rolled_back_first_create():
    table = template("infra/dynamodb.yaml")["Resources"]["VoldashTable"]
    main = resources()
    for resource in (table, main["FrontendBucket"], main["AppSecrets"]):
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate"
        assert resource["UpdateReplacePolicy"] == "Retain"
    # Names that would collide with a survivor of a failed first deploy are not fixed: the
    # table's is generated, the secret's carries this stack's id, the bucket's is generated.
    assert table["Properties"]["TableName"]["Fn::If"][1] == {"Ref": "AWS::NoValue"}
    assert "AWS::StackId" in json.dumps(main["AppSecrets"]["Properties"]["Name"])
    assert "BucketName" not in main["FrontendBucket"]["Properties"]


def test_the_secret_generation_block_is_never_edited():
    """CloudFormation regenerates the whole secret when GenerateSecretString changes, wiping the
    values filled in by hand. If this fails, undo the edit: add keys by editing the secret."""
    block = resources()["AppSecrets"]["Properties"]["GenerateSecretString"]
    digest = hashlib.sha256(json.dumps(block, sort_keys=True).encode()).hexdigest()
    assert digest == PINNED_SECRET_DIGEST, (
        "template.yaml AppSecrets.GenerateSecretString changed: a deploy would overwrite the "
        "secret's filled-in values (README, Deployment: the SecretStringTemplate trap)"
    )


PINNED_SECRET_DIGEST = "69635b17289f5f66ff428b4d7e4d464bfab16b8ba42040ee5c49d7db631145de"


# --- 4. new accounts: no reserved concurrency unless asked for -----------------------------


def test_workers_wait_for_the_secret_and_the_http_function_does_not():
    functions = rendered()["Resources"]
    for name in ("OutboxFunction", "InboxFunction", "ReconcileFunction"):
        assert functions[name]["Properties"]["Environment"]["Variables"]["VOLDASH_WAIT_FOR_SECRETS"] == "true"
    for name in ("HttpFunction", "OpsFunction"):
        assert "VOLDASH_WAIT_FOR_SECRETS" not in functions[name]["Properties"]["Environment"]["Variables"]


def test_reserved_concurrency_is_a_parameter_and_off_by_default():
    assert template()["Parameters"]["ReserveWorkerConcurrency"]["Default"] == "false"
    for name, fn in resources(type_="AWS::Serverless::Function").items():
        reserved = fn["Properties"].get("ReservedConcurrentExecutions")
        assert reserved is None or reserved["Fn::If"][0] == "ReserveConcurrency", name
        if reserved is not None:
            assert reserved["Fn::If"][2] == {"Ref": "AWS::NoValue"}


# --- 5. fail early: the domain and its certificate are asserted before anything is built -------


def test_rules_refuse_a_missing_domain_or_certificate_at_change_set_time():
    rule = template()["Rules"]["SiteNameAndCertificate"]
    asserted = json.dumps(rule["Assertions"])
    assert '{"Ref": "DomainName"}' in asserted and '{"Ref": "CertificateArn"}' in asserted
    assert "RuleCondition" not in rule  # always checked: there is no no-domain mode any more
    pattern = template()["Parameters"]["CertificateArn"]["AllowedPattern"]
    assert re.fullmatch(pattern, "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb")
    assert not re.fullmatch(pattern, "arn:aws:acm:us-east-2:123456789012:certificate/0a1b2c3d")
    # SAM's transform keeps the Rules section (CloudFormation evaluates it on the change set).
    assert rendered()["Rules"] == json.loads(json.dumps(template()["Rules"]))


def test_the_app_knows_its_public_name_in_every_deploy():
    env = template()["Globals"]["Function"]["Environment"]["Variables"]
    assert env["PUBLIC_BASE_URL"] == {"Fn::Sub": "https://${DomainName}"}
    assert env["CSRF_TRUSTED_ORIGINS"] == {"Fn::Sub": "https://${DomainName}"}
    assert "HasDomain" not in json.dumps(template())
    readme = (ROOT / "README.md").read_text()
    assert "empty = the CloudFront domain only" not in json.dumps(template())
    assert "no CloudFront-domain-only mode" in readme


# --- 6. alarms that notify; access logs -------------------------------------------------------


def test_alarms_reach_a_topic_cloudwatch_can_publish_to():
    topic = resources()["AlarmTopic"]["Properties"]
    assert topic.get("KmsMasterKeyId") in (None,) or "alias/aws/sns" not in json.dumps(topic)
    for name, alarm in resources(type_="AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name


def test_production_refuses_alarms_that_reach_nobody():
    rule = template()["Rules"]["AlarmsReachAPerson"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "AppEnv"}, "prod"]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    pattern = template()["Parameters"]["AlarmEmail"]["AllowedPattern"]
    assert re.fullmatch(pattern, "") and re.fullmatch(pattern, "ops@asmbly.org")
    assert not re.fullmatch(pattern, "ops at asmbly") and not re.fullmatch(pattern, "a@b")
    workflow = (ROOT / ".github" / "workflows" / "backend.yml").read_text()
    assert "AlarmEmail=${{ vars.ALARM_EMAIL }}" in workflow  # the stack CI creates is subscribed


def test_alarms_cover_failed_items_throttles_stream_lag_and_bounces_and_never_go_blind():
    alarms = resources(type_="AWS::CloudWatch::Alarm")
    watched = json.dumps(alarms)
    for metric in (
        "OutboxMessagesFailed",
        "InboxEventsFailed",
        "ReadThrottleEvents",
        "WriteThrottleEvents",
        "IteratorAge",
        "Reputation.BounceRate",
    ):
        assert metric in watched, metric
    for name, alarm in alarms.items():
        for query in alarm["Properties"].get("Metrics", []):
            if "Expression" in query:
                # A sum of metrics with no data is no data: FILL keeps the alarm seeing.
                ids = [q["Id"] for q in alarm["Properties"]["Metrics"] if "MetricStat" in q]
                for metric_id in ids:
                    assert f"FILL({metric_id}, 0)" in query["Expression"], (name, metric_id)


def test_the_workers_put_failed_counts_in_the_alarmed_metrics(table, capsys):
    from voldash_site import lambda_workers

    lambda_workers.outbox_handler({}, None)
    lambda_workers.inbox_handler({}, None)
    out = capsys.readouterr().out
    assert '"OutboxMessagesFailed"' in out and '"InboxEventsFailed"' in out


def test_deploys_are_never_cancelled_mid_flight_and_a_failed_first_create_is_cleared():
    workflow = (ROOT / ".github" / "workflows" / "backend.yml").read_text()
    assert "cancel-in-progress: ${{ github.event_name == 'pull_request' }}" in workflow
    deploy = workflow[workflow.index("  deploy-dev:") :]
    assert "cancel-in-progress: false" in deploy
    assert deploy.index("ROLLBACK_COMPLETE") < deploy.index("sam deploy")
    assert "aws cloudformation delete-stack" in deploy and "wait stack-delete-complete" in deploy


def test_the_http_api_writes_access_logs_with_its_request_id():
    stage = rendered()["Resources"]["HttpApiApiGatewayDefaultStage"]["Properties"]
    settings = stage["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]}
    line = json.loads(settings["Format"].replace("\n", " "))
    assert line["requestId"] == "$context.requestId"
    # The route, never the path: paths carry magic-link and calendar tokens (issue 23, finding 6).
    assert line["route"] == "$context.routeKey"
    assert "$context.path" not in settings["Format"] and "querystring" not in settings["Format"].lower()
    assert resources()["HttpApiAccessLogs"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


# --- 7. `sam build` ships what `make package` ships -----------------------------------------------


def test_every_function_is_built_by_the_makefile_target_that_ships_the_package():
    makefile = (ROOT / "Makefile").read_text()
    for name, fn in resources(type_="AWS::Serverless::Function").items():
        meta = fn.get("Metadata") or {}
        assert meta.get("BuildMethod") == "makefile", name
        assert meta.get("ProjectRootDirectory") == "." and meta.get("ContextPath") == "."
        dry = subprocess.run(
            ["make", "-n", f"build-{name}", "ARTIFACTS_DIR=/tmp/sam-artifacts", "LAMBDA_OUT=/tmp/lambda-out"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert dry.returncode == 0, dry.stderr
        assert 'cp -R /tmp/lambda-out/lambda/. "/tmp/sam-artifacts"' in dry.stdout
    assert "SAM_FUNCTIONS := " in makefile
    assert template()["Globals"]["Function"]["CodeUri"] == "build/lambda"  # `sam deploy` without build


# --- 10. OIDC trust matches what GitHub sends for an environment job ------------------------------


def test_the_deploy_role_trusts_exactly_the_environment_subject():
    trust = resources("template-cicd.yaml")["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]
    [statement] = trust["Statement"]
    condition = statement["Condition"]
    assert set(condition) == {"StringEquals"}  # no wildcards
    assert condition["StringEquals"]["token.actions.githubusercontent.com:sub"] == {
        "Fn::Sub": "repo:${GitHubOrg}/${GitHubRepo}:environment:${GitHubEnvironment}"
    }
    workflow = (ROOT / ".github" / "workflows" / "backend.yml").read_text()
    job = workflow.split("deploy-dev:", 1)[1]
    environment = re.search(r"^\s+environment:\s*(\S+)", job, re.M).group(1)
    assert environment == template("template-cicd.yaml")["Parameters"]["GitHubEnvironment"]["Default"]


# --- 2. the deploy role, from the rendered templates and the handlers' published permissions -----
#
# For every resource the rendered templates create (template.yaml after SAM's transform, and the
# nested infra/dynamodb.yaml), CloudFormation runs the resource provider's create, update and
# delete handlers (a rollback runs the opposite one) and they call AWS with the deploy role's
# credentials: the permissions each handler lists in its published schema (cfn-lint ships them).
# Each is evaluated, with the resource's ARN and the condition keys AWS sets, by the same IAM
# evaluator as the app's calls (tests/iam_policies.py), against the deploy role.
#
# Which of a handler's permissions apply is decided from the rendered resource, not by hand:
# - a permission on the resource's own service applies (the update handler also removes
#   settings, so "not set" is no reason to leave one out);
# - a permission on another service applies when the properties point at that service (a
#   Lambda function's Role: iam:PassRole; its code in S3: s3:GetObject);
# - except the few below that would give the deploy role data access or a way out of the
#   boundary, each tied to the property that needs it: required again as soon as it is set.
ONLY_WITH_PROPERTY = {
    "AWS::DynamoDB::Table": {
        "ImportSourceSpecification": [
            "dynamodb:BatchWriteItem",
            "dynamodb:PutItem",
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:DeleteItem",
            "dynamodb:UpdateItem",
            "dynamodb:ImportTable",
            "dynamodb:DescribeImport",
        ],
        # Streams every change of the table to a Kinesis stream: the data leaves the table.
        "KinesisStreamSpecification": [
            "dynamodb:EnableKinesisStreamingDestination",
            "dynamodb:DisableKinesisStreamingDestination",
            "dynamodb:UpdateKinesisStreamingDestination",
        ],
        # A resource policy can open the table to other accounts.
        "ResourcePolicy": ["dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"],
    },
    # Copies the app's secrets to other regions.
    "AWS::SecretsManager::Secret": {"ReplicaRegions": ["secretsmanager:ReplicateSecretToRegions"]},
    # Connection groups (multi-tenant distributions): set in DistributionConfig.ConnectionMode.
    "AWS::CloudFront::Distribution": {
        "DistributionConfig.ConnectionMode": ["cloudfront:CreateConnectionGroup"]
    },
    "AWS::S3::Bucket": {
        "MetadataTableConfiguration": ["s3:DeleteObject"],  # the only handler step that deletes objects
        "AccessControl": ["s3:PutObjectAcl", "s3:PutBucketAcl"],
    },
}
# Never granted whatever the template says (the IAM::Role handler lists them for changes this
# stack never makes: every role keeps the boundary, checked below).
NEVER = {
    "iam:DeleteRolePermissionsBoundary": "every role keeps its permissions boundary",
    # A changed trust policy could let another principal assume the app's roles; the stack's
    # trust policies (lambda.amazonaws.com) never change, and an administrator deploys it if one must.
    "iam:UpdateAssumeRolePolicy": "a trust policy change is an administrator's deploy",
}

# Handler permission names that are API names, not IAM actions, and the IAM action the S3 API
# reference names for each ("Permissions" of DeleteBucketCors: s3:PutBucketCORS, and so on).
IAM_ACTION_OF_API = {
    "s3:DeleteBucketCors": ["s3:PutBucketCORS"],
    "s3:DeleteBucketEncryption": ["s3:PutEncryptionConfiguration"],
    "s3:DeleteBucketLifecycle": ["s3:PutLifecycleConfiguration"],
    "s3:DeleteBucketAnalyticsConfiguration": ["s3:PutAnalyticsConfiguration"],
    "s3:DeleteBucketMetricsConfiguration": ["s3:PutMetricsConfiguration"],
    "s3:DeleteBucketReplication": ["s3:PutReplicationConfiguration"],
    "s3:PutBucketReplication": ["s3:PutReplicationConfiguration"],
    "s3:PutObjectLockConfiguration": ["s3:PutBucketObjectLockConfiguration"],
    # CloudFront: CreateDistributionWithTags is authorized as CreateDistribution and TagResource.
    "cloudfront:CreateDistributionWithTags": ["cloudfront:CreateDistribution", "cloudfront:TagResource"],
    # API Gateway authorizes by HTTP verb on the resource path: PUT and DELETE on /tags/{arn}.
    "apigateway:TagResource": ["apigateway:PUT"],
    "apigateway:UntagResource": ["apigateway:DELETE"],
}
# Handler permissions the Service Authorization Reference (the evaluator's data) does not know,
# tied to the property whose feature uses them (checked: the property is not set).
UNKNOWN_TO_IAM = {"lambda:AssociateRuntimeAlias": ("AWS::Lambda::Function", "PublishToLatestPublished")}

# Types whose provider publishes no handler permissions: what CloudFormation's own handler calls
# (Route53 API reference: ChangeResourceRecordSets, then GetChange until INSYNC; it reads the zone
# and its records to diff them). The test fails once a schema lists them.
NO_PUBLISHED_HANDLERS = {
    "AWS::Route53::RecordSetGroup": [
        "route53:ChangeResourceRecordSets",
        "route53:GetChange",
        "route53:GetHostedZone",
        "route53:ListResourceRecordSets",
    ],
}

# Permissions a service documents for a property, beyond the handler's list: API Gateway's "to
# enable access logging" list for an HTTP API stage's AccessLogSettings (the log delivery it
# creates, reads, updates and deletes on the caller's behalf).
DOCUMENTED_FOR_PROPERTY = {
    ("AWS::ApiGatewayV2::Stage", "AccessLogSettings"): [
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
    ],
}
# Lambda evaluates lambda:FunctionArn for these only (Lambda developer guide, "event source
# mappings"; the Service Authorization Reference lists it for Get too, and a statement relying on
# it there never matches: the mapping's handlers poll GetEventSourceMapping and never stabilize).
FUNCTION_ARN_KEY = {
    "lambda:CreateEventSourceMapping",
    "lambda:UpdateEventSourceMapping",
    "lambda:DeleteEventSourceMapping",
}

# What `sam deploy` itself calls (SAM CLI's deployer), not a resource handler.
SAM_DEPLOY = {
    "cloudformation:CreateChangeSet": "sam deploy (and the Serverless transform, below)",
    "cloudformation:DescribeChangeSet": "sam deploy waits for the change set",
    "cloudformation:ExecuteChangeSet": "sam deploy",
    "cloudformation:DeleteChangeSet": "sam deploy removes an empty change set",
    "cloudformation:DescribeStacks": "sam deploy reads the stack's state and outputs",
    "cloudformation:DescribeStackEvents": "sam deploy prints the events",
    "cloudformation:GetTemplateSummary": "sam deploy reads the deployed parameters",
    "cloudformation:RollbackStack": "sam deploy --on-failure ROLLBACK",
    "cloudformation:ContinueUpdateRollback": "recovering from UPDATE_ROLLBACK_FAILED",
    "s3:PutObject": "sam deploy uploads the artifact and the nested template",
    "s3:GetObject": "CloudFormation reads the nested template with the caller's credentials",
    "s3:ListBucket": "sam's head_object answers 404, not 403, for an artifact not yet uploaded",
}


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements as written (one inside a Fn::If: its true branch)."""
    statements = doc["Statement"]
    listed = statements if isinstance(statements, list) else [statements]
    return [s["Fn::If"][1] if "Fn::If" in s else s for s in listed]


def granted(role: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for policy in role["Properties"].get("Policies", []):
        for statement in _statements(policy["PolicyDocument"]):
            assert statement["Effect"] == "Allow"
            value = statement["Action"]
            actions |= set(value if isinstance(value, list) else [value])
    return actions


def _is_set(resource: dict[str, Any], prop: str) -> bool:
    """Whether the rendered resource sets the property (a dotted path reaches into a structure)."""
    value: Any = resource.get("Properties") or {}
    for part in prop.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def deploy_requests(app: dict[str, Any], cicd: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every call CloudFormation's handlers and `sam deploy` make with the deploy role, as
    evaluator requests (action, resource, context, why); and the permissions that name no
    resource of ours (to fix in own_arns)."""
    from tests import iam_policies as iam

    schemas = iam.handler_schemas()
    boundary = iam.cicd_resolver(cicd).ref("AppRoleBoundary")
    stacks = [(app, iam.app_resolver(app), iam.STACK)]
    nested = iam.plain("infra/dynamodb.yaml")
    stacks.append((nested, iam.Resolver(nested, {"AppEnv": "dev"}, f"{iam.STACK}-Table-1A2B3C4D5E6F"), None))
    wanted: list[tuple[str, list[str], dict[str, Any], str]] = []
    for template, resolver, _ in stacks:
        resources = template["Resources"]
        for logical, resource in resources.items():
            kind = resource["Type"]
            if kind in NO_PUBLISHED_HANDLERS:
                assert not schemas.get(kind, {}).get("handlers"), (
                    f"{kind} publishes its handlers now: use them"
                )
                permissions = set(NO_PUBLISHED_HANDLERS[kind])
            else:
                handlers = schemas[kind]["handlers"]
                permissions = {
                    p
                    for h in ("create", "read", "update", "delete")
                    for p in handlers.get(h, {}).get("permissions", [])
                }
            for (owner, prop), perms in DOCUMENTED_FOR_PROPERTY.items():
                if owner == kind and _is_set(resource, prop):
                    permissions |= set(perms)
            excluded = {
                p
                for prop, perms in ONLY_WITH_PROPERTY.get(kind, {}).items()
                if not _is_set(resource, prop)
                for p in perms
            }
            props = resource.get("Properties", {})
            resolved = resolver.resolve(props)
            candidates = iam.own_arns(logical, resource, resolver) + iam.referenced_arns(resolved)
            context: dict[str, Any] = {
                "iam:PermissionsBoundary": boundary,
                "aws:ResourceTag/aws:cloudformation:stack-name": resolver.stack,
            }
            if kind == "AWS::IAM::Role":
                for arn in resolved.get("ManagedPolicyArns", []):
                    context["iam:PolicyARN"] = arn
            if kind == "AWS::Lambda::Function":
                context["iam:PassedToService"] = "lambda.amazonaws.com"
            if kind == "AWS::Lambda::EventSourceMapping":
                function = props["FunctionName"]["Ref"]
                context["lambda:FunctionArn"] = resolver.get_att(function, "Arn")
            if kind == "AWS::Route53::RecordSetGroup":
                context["route53:ChangeResourceRecordSetsNormalizedRecordNames"] = sorted(
                    {r["Name"].lower().rstrip(".") for r in resolved["RecordSets"]}
                )
                context["route53:ChangeResourceRecordSetsRecordTypes"] = sorted(
                    {r["Type"] for r in resolved["RecordSets"]}
                )
                context["route53:ChangeResourceRecordSetsActions"] = ["CREATE", "DELETE", "UPSERT"]
            for permission in sorted(permissions - excluded):
                if permission in NEVER:
                    continue
                service = permission.split(":")[0]
                if service != iam.type_service(kind) and not iam.references(props, service, resources):
                    continue
                if permission in UNKNOWN_TO_IAM:
                    owner, prop = UNKNOWN_TO_IAM[permission]
                    assert owner == kind and not _is_set(resource, prop), (permission, logical, prop)
                    continue
                for action in IAM_ACTION_OF_API.get(permission, [permission]):
                    keys = (
                        context
                        if action in FUNCTION_ARN_KEY
                        else {k: v for k, v in context.items() if k != "lambda:FunctionArn"}
                    )
                    wanted.append((action, candidates, keys, f"{kind} {logical}"))
    deploy_bucket = iam.cicd_resolver(cicd).ref("ArtifactBucket")
    stack_arn = f"arn:aws:cloudformation:{iam.REGION}:{iam.ACCOUNT}:stack/{iam.STACK}/{iam.STACK_UUID}"
    sam = [
        stack_arn,
        f"arn:aws:s3:::{deploy_bucket}",
        f"arn:aws:s3:::{deploy_bucket}/{iam.STACK}/0a1b2c.template",
    ]
    for action, why in SAM_DEPLOY.items():
        wanted.append((action, sam, {}, f"sam deploy: {why}"))
    transform = f"arn:aws:cloudformation:{iam.REGION}:aws:transform/Serverless-2016-10-31"
    wanted.append(("cloudformation:CreateChangeSet", [transform], {}, "sam deploy: the Serverless transform"))
    info = iam.describe([a for a, *_ in wanted])
    requests, unplaced, not_ours = [], [], set()
    for action, candidates, context, why in wanted:
        if not info[action]["exists"]:
            unplaced.append(
                f"{action} is not an IAM action ({why}): name the IAM action AWS documents for it"
            )
            continue
        resource = iam.choose_resource(action, info[action], candidates)
        if resource is None and why.startswith("sam deploy"):
            resource = candidates[0]  # the transform: an ARN the reference does not list
        if resource is None:
            # The action only takes resources of a type this resource neither is nor points at
            # (a layer, a code-signing config, a VPC origin...): the handler cannot call it for us.
            not_ours.add(f"{action} ({why.split()[0]})")
            continue
        # API Gateway's ARN formats are joined in the reference (see tests/iam_simulate.mjs).
        unvalidated = action.startswith("apigateway:") or resource == transform
        requests.append(
            {
                "action": action,
                "resource": resource,
                "context": context,
                "why": why,
                "unvalidatedResource": unvalidated,
            }
        )
    unique = {json.dumps(r, sort_keys=True): r for r in requests}
    return list(unique.values()), unplaced, sorted(not_ours)


def evaluate_deploy_role(app: dict[str, Any], cicd: dict[str, Any]) -> dict[str, Any]:
    from tests import iam_policies as iam

    requests, unplaced, not_ours = deploy_requests(app, cicd)
    resolver = iam.cicd_resolver(cicd)
    role = resolver.resolve(cicd["Resources"]["DeployRole"]["Properties"])
    identity = [p["PolicyDocument"] for p in role["Policies"]]
    principal = resolver.get_att("DeployRole", "Arn")
    jobs = [
        {
            "principal": principal,
            "action": r["action"],
            "resource": r["resource"],
            "context": r["context"],
            "identity": identity,
            "boundary": None,
            "unvalidatedResource": r["unvalidatedResource"],
        }
        for r in requests
    ]
    denied = [
        (r["action"], r["resource"], r["why"], result.get("errors") or result["result"])
        for r, result in zip(requests, iam.simulate(jobs), strict=True)
        if result["result"] != "Allowed"
    ]
    used = {r["action"].lower() for r in requests}
    unused = sorted(a for a in iam.actions_of(identity) if a.lower() not in used)
    return {
        "denied": denied,
        "unplaced": unplaced,
        "unused": unused,
        "requests": len(requests),
        "not_ours": not_ours,
        "granted": len(iam.actions_of(identity)),
        "used": len(used),
    }


def test_the_deploy_role_can_run_every_handler_of_every_resource_and_nothing_else():
    from tests import iam_policies as iam

    report = evaluate_deploy_role(iam.rendered_app(iam.APP_PARAMETERS), iam.plain("template-cicd.yaml"))
    assert not report["unplaced"], "\n".join(report["unplaced"])
    assert not report["denied"], "CloudFormation would fail (AccessDenied):\n" + "\n".join(
        map(str, report["denied"])
    )
    assert not report["unused"], f"granted but called by no handler and not by sam deploy: {report['unused']}"
    print(f"deploy role: granted {report['granted']}, used {report['used']}, requests {report['requests']}")
    print("handler permissions on resource types this stack has none of:", report["not_ours"])
    # The property-tied exceptions name real properties and real handler permissions.
    schemas = iam.handler_schemas()
    for kind, props in ONLY_WITH_PROPERTY.items():
        listed = {p for h in schemas[kind]["handlers"].values() for p in h.get("permissions", [])}
        for prop, perms in props.items():
            assert prop.split(".")[0] in schemas[kind]["properties"], (kind, prop)
            assert set(perms) <= listed, (kind, set(perms) - listed)


@pytest.mark.parametrize(
    ("removed", "resource_kind"),
    [("s3:PutBucketCORS", "AWS::S3::Bucket"), ("s3:PutLifecycleConfiguration", "AWS::S3::Bucket")],
)
def test_the_deploy_role_check_catches_a_missing_handler_permission(removed, resource_kind):
    """Issue 22, finding 2: the bucket's CORS and lifecycle rules need these (and their deletes)."""
    from tests import iam_policies as iam

    cicd = iam.plain("template-cicd.yaml")
    for policy in cicd["Resources"]["DeployRole"]["Properties"]["Policies"]:
        for statement in _statements(policy["PolicyDocument"]):
            if isinstance(statement["Action"], list) and removed in statement["Action"]:
                statement["Action"].remove(removed)
    report = evaluate_deploy_role(iam.rendered_app(iam.APP_PARAMETERS), cicd)
    assert {(a, why.split()[0]) for a, _, why, _ in report["denied"]} >= {(removed, resource_kind)}


def test_the_deploy_role_may_only_create_roles_inside_the_boundary():
    deploy = resources("template-cicd.yaml")["DeployRole"]
    [policy] = deploy["Properties"]["Policies"]
    by_action: dict[str, list[dict[str, Any]]] = {}
    for statement in _statements(policy["PolicyDocument"]):
        for action in statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]:
            by_action.setdefault(action, []).append(statement)
    for action in (
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
    ):
        for statement in by_action[action]:
            assert statement["Condition"]["StringEquals"]["iam:PermissionsBoundary"] == {
                "Ref": "AppRoleBoundary"
            }, action
    assert "iam:DeleteRolePermissionsBoundary" not in by_action
    assert "iam:UpdateAssumeRolePolicy" not in by_action  # the stack never changes a trust policy
    [pass_role] = by_action["iam:PassRole"]
    assert pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == "lambda.amazonaws.com"
    for role in resources(type_="AWS::IAM::Role").values():
        assert role["Properties"]["PermissionsBoundary"]["Fn::If"][1] == {"Ref": "PermissionsBoundaryArn"}


# --- checkov: every skipped rule is justified ---------------------------------------------------

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
# Rules skipped for the whole run, with the reason (resource-level skips sit in the templates'
# Metadata with their comment).
CHECKOV_SKIPS = {
    "CKV_AWS_116": "Lambda DLQ: the stream and schedule workers have dead-letter queues; the HTTP "
    "function is called synchronously (API Gateway) and the ops function by hand, so a "
    "dead-letter queue would never receive anything",
    "CKV_AWS_117": "Lambda in a VPC: voldash calls only public AWS endpoints and SaaS APIs; a VPC "
    "would add NAT cost and nothing to protect",
    "CKV_AWS_115": "Lambda reserved concurrency: off by default on purpose (accounts with a quota "
    "of 10 or 50 refuse it); the ReserveWorkerConcurrency parameter turns it on",
    "CKV_AWS_173": "Lambda environment variables hold names and URLs only; the secrets live in "
    "Secrets Manager",
    "CKV_AWS_18": "S3 access logging: the frontend bucket serves the public SPA through CloudFront; "
    "a log bucket per stack adds cost and nothing to investigate",
    "CKV_AWS_21": "S3 versioning of the frontend bucket: it is rebuilt from git on every upload",
    "CKV_AWS_149": "Secrets Manager CMK: the AWS managed key encrypts the secret; a CMK adds a key "
    "policy to administer (and to grant the deploy role) for the same protection here",
    "CKV_AWS_68": "CloudFront WAF: API Gateway throttling and the app's own checks apply; WAF "
    "would cost more than the rest of the stack for a volunteer dashboard",
    "CKV_AWS_86": "CloudFront access logging: the HTTP API's access log records every API request",
    "CKV_AWS_119": "DynamoDB CMK: encrypted with DynamoDB's AWS managed key (SSEEnabled)",
    "CKV_AWS_158": "CloudWatch log group CMK: the logs carry no secrets or personal data (the "
    "reliability suite checks it)",
    "CKV_AWS_27": "SQS encryption: SqsManagedSseEnabled is set (checkov only reads KmsMasterKeyId)",
    "CKV_AWS_111": "IAM write without constraints: flags the boundary's logs:* lines, which copy "
    "AWSLambdaBasicExecutionRole (log group names are generated)",
}


@pytest.mark.slow
def test_checkov_passes_with_every_skip_justified():
    if not CHECKOV.exists():
        pytest.fail("checkov is not installed: run `make checkov` (make test installs it)")
    files = ["template.yaml", "template-cicd.yaml", "infra/dynamodb.yaml", "infra/certs.yaml"]
    args = [str(CHECKOV), "--quiet", "--compact", "--framework", "cloudformation", "-o", "json"]
    args += ["--skip-check", ",".join(sorted(CHECKOV_SKIPS))]
    for name in files:
        args += ["-f", name]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    reports = json.loads(result.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for report in reports
        for c in report.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
    for name in files:  # each resource-level skip carries its reason
        for logical_id, resource in template(name)["Resources"].items():
            for skip in (resource.get("Metadata") or {}).get("checkov", {}).get("skip", []):
                assert len(skip.get("comment", "")) > 20, f"{name} {logical_id} {skip['id']}"


def test_cloudfront_sends_every_path_the_app_serves_to_the_api_origin():
    """A path the app serves but CloudFront sends to the SPA bucket is a 403/404 in production
    only (it once happened to "/report" typed without its slash, printed under QR codes)."""
    from django.test import Client

    from voldash_site.urls import urlpatterns

    distribution = next(iter(resources(type_="AWS::CloudFront::Distribution").values()))
    behaviors = distribution["Properties"]["DistributionConfig"]["CacheBehaviors"]
    to_api = [b["PathPattern"] for b in behaviors if b["TargetOriginId"] == "api"]
    prefixes = [str(p.pattern) for p in urlpatterns if str(p.pattern)]
    assert prefixes, "no URL prefixes found"
    typed = {"report/", "staff/"}  # pages people type or print: also without the slash
    for prefix in prefixes:  # "api/v1/", "auth/", "report/", ...
        paths = [f"/{prefix}", f"/{prefix}anything"] + ([f"/{prefix[:-1]}"] if prefix in typed else [])
        for path in paths:
            assert any(fnmatch.fnmatchcase(path, p) for p in to_api), (path, to_api)
    assert Client().get("/report").headers["Location"] == "/report/"
