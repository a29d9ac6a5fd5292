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
    assert "$context.path" in line.values() and "querystring" not in settings["Format"].lower()
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


# --- 2. every IAM action granted to every role, justified -----------------------------------------

# CloudFormation resource types whose handlers the deploy role must be able to run, and the
# handler permissions (from the providers' schemas) that do not apply to how this project uses
# the type, with the reason. Anything else a handler lists must be granted.
NOT_APPLICABLE = {
    "AWS::Lambda::Function": {
        "ec2:*": "no VPC",
        "elasticfilesystem:*": "no EFS",
        "s3files:*": "no S3 Files mounts",
        "kms:*": "environment variables use Lambda's own key (no KmsKeyArn)",
        "lambda:GetLayerVersion": "no layers",
        "lambda:GetCodeSigningConfig": "no code signing",
        "lambda:PutFunctionCodeSigningConfig": "no code signing",
        "lambda:DeleteFunctionCodeSigningConfig": "no code signing",
        "lambda:PassCapacityProvider": "no capacity providers",
        "lambda:AssociateRuntimeAlias": "no runtime alias",
        "lambda:PutFunctionScalingConfig": "no scaling config (capacity providers)",
        "iam:PassRole": "granted on its own statement, to lambda.amazonaws.com only",
        "s3:GetObject": "granted on the artifact bucket's objects",
        "s3:GetObjectVersion": "granted on the artifact bucket's objects",
    },
    "AWS::IAM::Role": {
        "iam:DeleteRolePermissionsBoundary": "never granted: removing the boundary would escape it "
        "(CI always passes PermissionsBoundaryArn)",
    },
    "AWS::Lambda::EventSourceMapping": {"kms:*": "no customer key on the filter criteria"},
    "AWS::DynamoDB::Table": {
        "dynamodb:BatchWriteItem": "no ImportSourceSpecification",
        "dynamodb:PutItem": "no ImportSourceSpecification",
        "dynamodb:GetItem": "no ImportSourceSpecification",
        "dynamodb:Query": "no ImportSourceSpecification",
        "dynamodb:Scan": "no ImportSourceSpecification",
        "dynamodb:DeleteItem": "no ImportSourceSpecification",
        "dynamodb:UpdateItem": "no ImportSourceSpecification",
        "dynamodb:ImportTable": "no ImportSourceSpecification",
        "dynamodb:DescribeImport": "no ImportSourceSpecification",
        "s3:*": "no ImportSourceSpecification",
        "logs:*": "no ImportSourceSpecification",
        "dynamodb:AssociateTableReplica": "not a global table",
        "dynamodb:CreateTableReplica": "not a global table",
        "dynamodb:CreateTable": "granted (listed under update only for replicas)",
        "dynamodb:EnableKinesisStreamingDestination": "no KinesisStreamSpecification",
        "dynamodb:DisableKinesisStreamingDestination": "no KinesisStreamSpecification",
        "dynamodb:UpdateKinesisStreamingDestination": "no KinesisStreamSpecification",
        "kinesis:*": "no KinesisStreamSpecification",
        "dynamodb:UpdateContributorInsights": "no ContributorInsightsSpecification",
        "dynamodb:PutResourcePolicy": "no ResourcePolicy",
        "dynamodb:DeleteResourcePolicy": "no ResourcePolicy",
        "kms:*": "SSE with DynamoDB's AWS managed key (no KMSMasterKeyId)",
        "iam:CreateServiceLinkedRole": "no replicas or auto scaling",
    },
    "AWS::SecretsManager::Secret": {"secretsmanager:ReplicateSecretToRegions": "no ReplicaRegions"},
    "AWS::SNS::Topic": {
        "iam:GetRole": "no delivery status logging roles",
        "iam:PassRole": "no delivery status logging roles",
        "sns:PutDataProtectionPolicy": "no DataProtectionPolicy",
    },
    "AWS::SNS::Subscription": {
        "iam:GetRole": "no SubscriptionRoleArn",
        "iam:PassRole": "no SubscriptionRoleArn",
    },
    "AWS::Events::Rule": {"iam:PassRole": "targets are Lambda functions (resource policy, no RoleArn)"},
    "AWS::CloudFormation::Stack": {"iam:PassRole": "no service role"},
    "AWS::S3::Bucket": {
        "iam:PassRole": "no replication",
        "s3tables:*": "no metadata tables",
        "s3:CreateBucketMetadataTableConfiguration": "no metadata tables",
        "s3:GetBucketMetadataTableConfiguration": "no metadata tables",
        "s3:DeleteBucketMetadataTableConfiguration": "no metadata tables",
        "s3:UpdateBucketMetadata*": "no metadata tables",
        "s3:DeleteObject": "CloudFormation never empties a bucket",
        "s3:PutAccelerateConfiguration": "not set",
        "s3:PutAnalyticsConfiguration": "not set",
        "s3:PutBucketAbac": "not set",
        "s3:GetBucketAbac": "not set",
        "s3:PutBucketCORS": "not set",
        "s3:PutBucketLogging": "not set",
        "s3:PutBucketNotification": "not set",
        "s3:PutBucketObjectLockConfiguration": "not set",
        "s3:PutObjectLockConfiguration": "not set",
        "s3:PutBucketReplication": "not set",
        "s3:PutReplicationConfiguration": "not set",
        "s3:PutBucketVersioning": "not set",
        "s3:PutBucketWebsite": "not set",
        "s3:PutIntelligentTieringConfiguration": "not set",
        "s3:PutInventoryConfiguration": "not set",
        "s3:PutLifecycleConfiguration": "not set",
        "s3:PutMetricsConfiguration": "not set",
        "s3:PutObjectAcl": "BucketOwnerEnforced: no ACLs",
        "s3:PutBucketAcl": "BucketOwnerEnforced: no ACLs",
        "s3:TagResource": "tags go through PutBucketTagging",
        "s3:UntagResource": "tags go through PutBucketTagging",
        "s3:DeleteBucket?*": "update-only removals of settings the bucket never had",
    },
    "AWS::S3::BucketPolicy": {},
    "AWS::Logs::LogGroup": {
        "firehose:*": "no Firehose",
        "s3:*": "no S3 delivery",
        "logs:CreateLogDelivery": "granted for the HTTP API's access logs",
        "logs:PutResourcePolicy": "granted for the HTTP API's access logs",
        "logs:DescribeResourcePolicies": "granted for the HTTP API's access logs",
        "logs:DeleteResourcePolicy": "no ResourcePolicyDocument",
        "logs:PutBearerTokenAuthentication": "not set",
        "logs:PutDataProtectionPolicy": "no DataProtectionPolicy",
        "logs:DeleteDataProtectionPolicy": "no DataProtectionPolicy",
        "logs:PutIndexPolicy": "no FieldIndexPolicies",
        "logs:DeleteIndexPolicy": "no FieldIndexPolicies",
        "logs:AssociateKmsKey": "no KmsKeyId",
        "logs:DisassociateKmsKey": "no KmsKeyId",
        "logs:PutLogGroupDeletionProtection": "not set",
    },
    "AWS::CloudFront::Distribution": {
        "cloudfront:CreateConnectionGroup": "no connection groups",
        "cloudfront:GetConnectionGroup": "no connection groups",
        "cloudfront:GetVpcOrigin": "no VPC origins",
        "cloudfront:CreateDistributionWithTags": "no Tags",
        "cloudfront:UpdateDistributionWithStagingConfig": "no continuous deployment",
    },
    "AWS::ApiGatewayV2::Api": {"s3:getObject": "no BodyS3Location"},
    "AWS::ApiGatewayV2::Stage": {
        "apigateway:TagResource": "apigateway:POST/PUT on /tags",
        "apigateway:UntagResource": "apigateway:DELETE on /tags",
    },
}

# Deploy-role actions that no resource handler lists, with who calls them.
SAM_DEPLOY_AND_OPERATOR = {
    "cloudformation:CreateChangeSet": "sam deploy (and on the Serverless transform)",
    "cloudformation:DescribeChangeSet": "sam deploy waits for the change set",
    "cloudformation:ExecuteChangeSet": "sam deploy",
    "cloudformation:DeleteChangeSet": "sam deploy cleans up an empty change set",
    "cloudformation:DescribeStackEvents": "sam deploy prints the events",
    "cloudformation:GetTemplateSummary": "sam deploy reads the deployed parameters",
    "cloudformation:RollbackStack": "sam deploy --on-failure ROLLBACK",
    "cloudformation:ContinueUpdateRollback": "recovering from UPDATE_ROLLBACK_FAILED",
    "s3:PutObject": "sam deploy uploads the artifact and the nested template",
    "s3:ListBucket": "sam's head_object answers 404, not 403, for a new artifact",
    "s3:GetObject": "CloudFormation reads the nested template, Lambda the code, as the caller",
    "s3:GetObjectVersion": "Lambda reads the code as the caller",
    "iam:PassRole": "CloudFormation hands the function roles to Lambda",
    "logs:GetLogDelivery": "API Gateway HTTP API access logging (documented permission list)",
    "logs:UpdateLogDelivery": "API Gateway HTTP API access logging (documented permission list)",
    "logs:DeleteLogDelivery": "API Gateway HTTP API access logging (documented permission list)",
    "logs:ListLogDeliveries": "API Gateway HTTP API access logging (documented permission list)",
    "logs:CreateLogDelivery": "API Gateway HTTP API access logging (documented permission list)",
    "logs:PutResourcePolicy": "API Gateway HTTP API access logging (documented permission list)",
    "logs:DescribeResourcePolicies": "API Gateway HTTP API access logging (documented permission list)",
    "lambda:GetFunctionScalingConfig": "Lambda::Function read handler",
    "route53:GetHostedZone": "RecordSetGroup (no published schema): checks the zone",
    "route53:ChangeResourceRecordSets": "RecordSetGroup (no published schema)",
    "route53:ListResourceRecordSets": "RecordSetGroup (no published schema)",
    "route53:GetChange": "RecordSetGroup (no published schema) waits for INSYNC",
}

# Types whose resources need a deploy-role statement but whose provider publishes no handler
# permissions in cfn-lint's schemas (checked above by SAM_DEPLOY_AND_OPERATOR's entries).
NO_SCHEMA = {"AWS::Route53::RecordSetGroup", "AWS::CloudWatch::Alarm"}

# Also deployable: the ResponseHeadersPolicy the security-headers change adds to template.yaml.
EXPECTED_SOON = {"AWS::CloudFront::ResponseHeadersPolicy"}


@cache
def handler_permissions() -> dict[str, set[str]]:
    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas" / "resources"
    found: dict[str, set[str]] = {}
    for path in schemas.glob("*.json"):
        schema = json.loads(path.read_text())
        if "handlers" in schema:
            perms = set()
            for name in ("create", "read", "update", "delete"):
                perms |= set(schema["handlers"].get(name, {}).get("permissions", []))
            found[schema["typeName"]] = perms
    return found


def _statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    statements = doc["Statement"]
    return statements if isinstance(statements, list) else [statements]


def granted(role: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for policy in role["Properties"].get("Policies", []):
        for statement in _statements(policy["PolicyDocument"]):
            assert statement["Effect"] == "Allow"
            value = statement["Action"]
            actions |= set(value if isinstance(value, list) else [value])
    return actions


def _covered(action: str, patterns: dict[str, str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def test_the_deploy_role_can_run_every_handler_of_every_resource_and_nothing_else():
    deploy = resources("template-cicd.yaml")["DeployRole"]
    actions = granted(deploy)
    assert not [a for a in actions if "*" in a], "no wildcard actions"
    types = {r["Type"] for r in rendered()["Resources"].values()}
    types |= {r["Type"] for r in template("infra/dynamodb.yaml")["Resources"].values()}
    types |= EXPECTED_SOON
    schemas = handler_permissions()
    required: set[str] = set()
    for type_ in sorted(types):
        if type_ in NO_SCHEMA:
            continue
        assert type_ in schemas, f"{type_}: add its handler permissions to the deploy role and this test"
        for action in schemas[type_]:
            if not _covered(action, NOT_APPLICABLE.get(type_, {})):
                required.add(action)
    lowered = {a.lower() for a in actions}
    missing = sorted(a for a in required if a.lower() not in lowered)
    assert not missing, f"CloudFormation would fail (AccessDenied) calling: {missing}"
    justified = {a.lower() for a in required} | {a.lower() for a in SAM_DEPLOY_AND_OPERATOR}
    # Handler permissions for types present, including ones marked not-applicable but granted
    # on purpose (their reason says where).
    for type_ in types - NO_SCHEMA:
        for action, reason in NOT_APPLICABLE.get(type_, {}).items():
            if reason.startswith("granted"):
                justified.add(action.lower())
    # The CloudWatch alarm schema: PutMetricAlarm, DeleteAlarms, DescribeAlarms, tags.
    justified |= {a.lower() for a in schemas.get("AWS::CloudWatch::Alarm", set())}
    unjustified = sorted(a for a in actions if a.lower() not in justified)
    assert not unjustified, f"granted but used by no handler and not by sam deploy: {unjustified}"


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
    [pass_role] = by_action["iam:PassRole"]
    assert pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == "lambda.amazonaws.com"
    for role in resources(type_="AWS::IAM::Role").values():
        assert role["Properties"]["PermissionsBoundary"]["Fn::If"][1] == {"Ref": "PermissionsBoundaryArn"}
    # The rollback of a failed create deletes roles: that needs the List* calls.
    assert {"iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:DeleteRole"} <= set(by_action)
    assert "secretsmanager:GetRandomPassword" in by_action  # GenerateSecretString
    for statement in _statements(policy["PolicyDocument"]):
        if statement["Resource"] == "*":
            assert statement["Sid"] in {
                "StreamMappingsCreate",
                "GeneratedSecretValue",
                "AlarmsRead",
                "HttpApiAccessLogDelivery",
            }, statement["Sid"]


# What the code does with each action the app's roles hold: a regex over the Python sources
# that must match (so an action the code stopped using fails here), or a reason.
APP_ACTIONS = {
    "dynamodb:GetItem": r"\.get\(|get_item|GetItem",
    "dynamodb:BatchGetItem": r"batch_get",
    "dynamodb:Query": r"\.query\(",
    "dynamodb:PutItem": r"\.save\(|Put\b|\"Put\"",
    "dynamodb:UpdateItem": r"\.update\(|Update\b",
    "dynamodb:DeleteItem": r"\.delete\(|Delete\b",
    "dynamodb:DescribeStream": "Lambda's stream event source reads the stream with the function's role",
    "dynamodb:GetRecords": "Lambda's stream event source reads the stream with the function's role",
    "dynamodb:GetShardIterator": "Lambda's stream event source reads the stream with the function's role",
    "dynamodb:ListStreams": "Lambda's stream event source reads the stream with the function's role",
    "secretsmanager:GetSecretValue": r"get_secret_value",
    "sqs:SendMessage": "Lambda sends failed async invocations and stream batches to the dead-letter queues",
    "s3:PutObject": r"generate_presigned_post",
    "s3:GetObject": r"get_object\(",
    "ses:SendEmail": r"\.send_email\(",
}


@cache
def python_sources() -> str:
    parts = []
    for package in ("voldash_site", "tasks", "volunteers", "shops", "integrations"):
        parts += [p.read_text() for p in (ROOT / package).rglob("*.py")]
    return "\n".join(parts)


@pytest.mark.parametrize("role_name", ["AppRole", "WorkerRole", "OpsRole"])
def test_every_action_of_the_app_roles_is_used(role_name):
    role = resources()[role_name]
    assert role["Properties"]["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"  # logs only
    ]
    for action in sorted(granted(role)):
        assert action in APP_ACTIONS, f"{role_name}: {action} is not justified"
        why = APP_ACTIONS[action]
        if why.startswith("Lambda"):
            continue
        assert re.search(why, python_sources()), f"{role_name}: nothing in the code calls {action}"
    # Only the workers read the stream or write to the dead-letter queues.
    if role_name != "WorkerRole":
        assert not {a for a in granted(role) if a.startswith(("sqs:", "dynamodb:GetRecords"))}
    boundary = granted(
        {"Properties": {"Policies": [resources("template-cicd.yaml")["AppRoleBoundary"]["Properties"]]}}
    )
    assert granted(role) <= boundary, f"{role_name} holds more than the boundary allows"


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
