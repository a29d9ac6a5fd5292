"""The templates' IAM policies as AWS would evaluate them, offline (issue 22).

- ``rendered_app()``: template.yaml after SAM's own transform (aws-sam-translator, as `sam deploy`).
- ``Resolver``: CloudFormation's intrinsic functions over a rendered template, with the physical
  names CloudFormation would give this project's resources (a stack named as samconfig.toml's
  ``asmbly-backend-dev``, the CI/CD stack's defaults for it): policies become the
  concrete documents IAM stores.
- ``simulate()``: runs tests/iam_simulate.mjs (@cloud-copilot/iam-simulate, a policy evaluator
  with permission boundaries, resource matching and every condition operator; its iam-data says
  which condition keys AWS sets for each action).
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "123456789012"
REGION = "us-east-2"
STACK = "asmbly-backend-dev"  # samconfig.toml's stack name: the CI/CD stack's StackPrefix-AppEnv
CICD_STACK = "voldash-cicd-dev"
ARTIFACT_BUCKET = f"sam-artifacts-{STACK}-{ACCOUNT}-{REGION}"  # the CI/CD stack's ArtifactBucket
NO_VALUE = object()
STACK_UUID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"

TABLE_NAME = f"{STACK}-Table-1A2B3C4D5E6F-VoldashTable-7G8H9I0J1K2L"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE_NAME}"
STREAM_ARN = f"{TABLE_ARN}/stream/2026-12-01T00:00:00.000"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/{STACK}-app-boundary"
APP_PARAMETERS = {
    "DomainName": "voldash.asmbly.org",
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d",
    "HostedZoneId": "Z0123456789ABCDEFGHIJ",
    "PermissionsBoundaryArn": BOUNDARY_ARN,
    "AlarmEmail": "ops@asmbly.org",
    "OriginVerifySecret": "x" * 32,
}


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}  # the roles name managed policies by ARN; nothing to look up


@cache
def _rendered_app(parameters: str) -> dict[str, Any]:
    from cfnlint.decode import decode
    from samtranslator.translator.transform import transform

    tpl, matches = decode(str(ROOT / "template.yaml"))
    assert not matches, matches
    tpl = json.loads(json.dumps(tpl, default=str))
    tpl["Globals"]["Function"]["CodeUri"] = (
        f"s3://{ARTIFACT_BUCKET}/{STACK}/0a1b2c3d"  # what `sam deploy` uploads
    )
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return transform(tpl, json.loads(parameters), _NoManagedPolicies())


def rendered_app(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """template.yaml after SAM's own transform (a fresh copy: callers may change it)."""
    chosen = (
        {k: APP_PARAMETERS[k] for k in ("DomainName", "CertificateArn")} if parameters is None else parameters
    )
    return copy.deepcopy(_rendered_app(json.dumps(chosen, sort_keys=True)))


@cache
def _plain(name: str) -> dict[str, Any]:
    from cfnlint.decode import decode

    tpl, matches = decode(str(ROOT / name))
    assert not matches, matches
    return json.loads(json.dumps(tpl, default=str))


def plain(name: str) -> dict[str, Any]:
    """A template without a transform (template-cicd.yaml, infra/dynamodb.yaml), as a copy."""
    return copy.deepcopy(_plain(name))


# --- intrinsic functions -------------------------------------------------------------------------


def _suffix(name: str) -> str:
    return f"{name}-1A2B3C4D5E6F"


class Resolver:
    """CloudFormation's intrinsic functions with the physical names this project's resources get."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str], stack: str) -> None:
        self.template = template
        self.stack = stack
        self.parameters = {
            name: parameters.get(name, spec.get("Default", ""))
            for name, spec in (template.get("Parameters") or {}).items()
        }
        self.pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": stack,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/{STACK_UUID}",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }

    # Physical names: CloudFormation's generated "{stack}-{LogicalId}-{suffix}" unless the
    # template names the resource; ARNs in the form each service documents.
    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = self.template["Resources"][name]
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::IAM::ManagedPolicy":
            return f"arn:aws:iam::{ACCOUNT}:policy/{self.resolve(props['ManagedPolicyName'])}"
        if kind == "AWS::S3::Bucket":
            return (
                self.resolve(props["BucketName"])
                if "BucketName" in props
                else _suffix(f"{self.stack}-{name}").lower()
            )
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{self.resolve(props['Name'])}-AbCdEf"
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{_suffix(f'{self.stack}-{name}')}"
        if kind == "AWS::IAM::OIDCProvider":
            return f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
        if kind == "AWS::CloudFront::Distribution":
            return "E1A2B3C4D5E6F7"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{_suffix(f'{self.stack}-{name}')}"
        if kind == "AWS::Logs::LogGroup" and "LogGroupName" in props:
            return self.resolve(props["LogGroupName"])
        return _suffix(f"{self.stack}-{name}")

    def get_att(self, name: str, attribute: str) -> Any:
        resource = self.template["Resources"][name]
        kind = resource["Type"]
        if kind == "AWS::CloudFormation::Stack":
            return {"TableArn": TABLE_ARN, "TableName": TABLE_NAME, "StreamArn": STREAM_ARN}[
                attribute.split(".")[-1]
            ]
        physical = self.ref(name)
        arns = {
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{physical}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{physical}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{str(physical).rsplit('/', 1)[-1]}",
            "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical}:*",
            "AWS::CloudFront::Function": f"arn:aws:cloudfront::{ACCOUNT}:function/{physical}",
        }
        if attribute == "Arn":
            return arns.get(kind, f"arn:aws:{kind.split('::')[1].lower()}:{REGION}:{ACCOUNT}:{physical}")
        if attribute == "QueueName":
            return str(physical).rsplit("/", 1)[-1]
        if attribute in ("RegionalDomainName", "DomainName"):
            return f"{physical}.example.net"
        return f"{physical}.{attribute}"

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            out = [self.resolve(v) for v in value]
            return [v for v in out if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(key, arg)] = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(name, attribute)
            if key == "Fn::Sub":
                text, names = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

                def sub(match: re.Match[str]) -> str:
                    token = match.group(1)
                    if token in names:
                        return str(names[token])
                    if "." in token and token.split(".")[0] in self.template["Resources"]:
                        return str(self.get_att(*token.split(".", 1)))
                    return str(self.ref(token))

                return re.sub(r"\$\{([^!}][^}]*)\}", sub, text)
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Join":
                return str(arg[0]).join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(arg[0])
            if key == "Fn::Equals":
                return self.resolve(arg[0]) == self.resolve(arg[1])
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(a) for a in arg)
            if key == "Fn::Or":
                return any(self.resolve(a) for a in arg)
            if key == "Condition":
                return self.condition(arg)
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}


def app_resolver(template: dict[str, Any]) -> Resolver:
    return Resolver(template, APP_PARAMETERS, STACK)


CICD_PARAMETERS = {"DomainName": APP_PARAMETERS["DomainName"], "HostedZoneId": APP_PARAMETERS["HostedZoneId"]}


def cicd_resolver(template: dict[str, Any]) -> Resolver:
    return Resolver(template, CICD_PARAMETERS, CICD_STACK)


@cache
def managed_policy(arn: str) -> dict[str, Any]:
    """An AWS managed policy's document as moto ships it (moto copies AWS's published ones)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)[arn.rsplit("/", 1)[-1]]["Document"]


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def actions_of(documents: list[dict[str, Any]]) -> set[str]:
    """Every action an Allow statement names (wildcards left as written)."""
    found: set[str] = set()
    for document in documents:
        for statement in statements(document):
            if statement["Effect"] == "Allow":
                value = statement["Action"]
                found |= set(value if isinstance(value, list) else [value])
    return found


# --- the evaluator --------------------------------------------------------------------------------


def _node() -> str:
    return os.environ.get("NODE", "node")


def run_evaluator(payload: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [_node(), str(ROOT / "tests" / "iam_simulate.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def simulate(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each job: principal, action, resource, context, identity (documents), boundary (or None)."""
    if not jobs:
        return []
    return run_evaluator({"simulate": [{"account": ACCOUNT, **job} for job in jobs]})["simulate"]


def describe(actions: list[str]) -> dict[str, dict[str, Any]]:
    return run_evaluator({"describe": sorted(set(actions))})["describe"]


# --- what CloudFormation calls for each resource (item 2) ----------------------------------------


@cache
def handler_schemas() -> dict[str, dict[str, Any]]:
    """The resource providers' published schemas that cfn-lint ships (``handlers.*.permissions``)."""
    import cfnlint

    found: dict[str, dict[str, Any]] = {}
    for path in (Path(cfnlint.__file__).parent / "data" / "schemas" / "resources").glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        if "typeName" in schema:
            found[schema["typeName"]] = schema
    return found


SERVICE_OF_TYPE = {"ApiGatewayV2": "apigateway", "CloudWatch": "cloudwatch", "Logs": "logs"}


def type_service(kind: str) -> str:
    name = kind.split("::")[1]
    return SERVICE_OF_TYPE.get(name, name.lower())


def references(value: Any, service: str, resources: dict[str, Any]) -> bool:
    """Whether properties point at something of ``service`` (a resource of that service, an ARN
    of it, or, for s3, an S3 location): a handler's permissions on another service are needed
    only then (a Lambda function's role: iam:PassRole; its code in S3: s3:GetObject)."""
    if isinstance(value, list):
        return any(references(v, service, resources) for v in value)
    if isinstance(value, str):
        return f":{service}:" in value and value.startswith("arn:")
    if not isinstance(value, dict):
        return False
    for key, inner in value.items():
        if key in ("Ref", "Fn::GetAtt"):
            target = inner if isinstance(inner, str) else inner[0]
            target = target.split(".")[0]
            if target in resources and type_service(resources[target]["Type"]) == service:
                return True
        if service == "s3" and "S3" in key:
            return True
        if references(inner, service, resources):
            return True
    return False


def own_arns(logical: str, resource: dict[str, Any], resolver: Resolver) -> list[str]:
    """The ARNs CloudFormation's calls for this resource name (IAM checks them)."""
    kind = resource["Type"]
    props = resolver.resolve(resource.get("Properties", {}))
    acct, region = ACCOUNT, REGION
    ref = resolver.ref(logical) if kind != "AWS::CloudFormation::Stack" else None

    def function_arn(value: Any) -> str:
        return value if str(value).startswith("arn:") else f"arn:aws:lambda:{region}:{acct}:function:{value}"

    if kind == "AWS::Lambda::Function":
        return [function_arn(ref)]
    if kind == "AWS::Lambda::Permission":
        return [function_arn(props["FunctionName"])]
    if kind == "AWS::Lambda::EventSourceMapping":
        return [
            f"arn:aws:lambda:{region}:{acct}:event-source-mapping:0a1b2c3d-0000-4000-8000-{logical[:12].lower():0>12}"[
                :110
            ]
        ]
    if kind == "AWS::Events::Rule":
        return [f"arn:aws:events:{region}:{acct}:rule/{ref}"]
    if kind == "AWS::Logs::LogGroup":
        return [
            f"arn:aws:logs:{region}:{acct}:log-group:{ref}",
            f"arn:aws:logs:{region}:{acct}:log-group:{ref}:*",
        ]
    if kind == "AWS::CloudWatch::Alarm":
        return [f"arn:aws:cloudwatch:{region}:{acct}:alarm:{ref}"]
    if kind == "AWS::S3::Bucket":
        return [f"arn:aws:s3:::{ref}", f"arn:aws:s3:::{ref}/*"]
    if kind == "AWS::S3::BucketPolicy":
        return [f"arn:aws:s3:::{props['Bucket']}"]
    if kind == "AWS::CloudFormation::Stack":
        nested = f"{resolver.stack}-{logical}-1A2B3C4D5E6F"
        return [f"arn:aws:cloudformation:{region}:{acct}:stack/{nested}/0a1b2c3d-4e5f-6789-abcd-ef0123456789"]
    if kind == "AWS::SNS::Subscription":
        return [props["TopicArn"]]
    if kind in ("AWS::IAM::Role", "AWS::SQS::Queue"):
        return [resolver.get_att(logical, "Arn")]
    if kind in ("AWS::SecretsManager::Secret", "AWS::SNS::Topic"):
        return [ref]
    if kind == "AWS::CloudFront::Distribution":
        return [f"arn:aws:cloudfront::{acct}:distribution/{ref}"]
    if kind == "AWS::CloudFront::Function":
        return [f"arn:aws:cloudfront::{acct}:function/{props['Name']}"]
    if kind == "AWS::CloudFront::OriginAccessControl":
        return [f"arn:aws:cloudfront::{acct}:origin-access-control/E2ABCDEF012345"]
    if kind == "AWS::CloudFront::ResponseHeadersPolicy":
        return [f"arn:aws:cloudfront::{acct}:response-headers-policy/0a1b2c3d-4e5f-6789-abcd-ef0123456789"]
    if kind == "AWS::Route53::RecordSetGroup":
        return [
            f"arn:aws:route53:::hostedzone/{props['HostedZoneId']}",
            "arn:aws:route53:::change/C0123456789ABC",
        ]
    if kind == "AWS::ApiGatewayV2::Api":
        return [
            f"arn:aws:apigateway:{region}::/apis",
            f"arn:aws:apigateway:{region}::/apis/{ref}",
            f"arn:aws:apigateway:{region}::/tags/arn%3Aaws%3Aapigateway%3A{region}%3A%3A%2Fapis%2F{ref}",
        ]
    if kind == "AWS::ApiGatewayV2::Stage":
        api = props["ApiId"]
        return [
            f"arn:aws:apigateway:{region}::/apis/{api}/stages/{props['StageName']}",
            f"arn:aws:apigateway:{region}::/apis/{api}/stages",
        ]
    if kind == "AWS::DynamoDB::Table":
        return [TABLE_ARN, STREAM_ARN, f"{TABLE_ARN}/index/GSI1"]
    raise AssertionError(
        f"{kind}: say which ARNs CloudFormation's calls name (tests/iam_policies.py own_arns)"
    )


def referenced_arns(value: Any) -> list[str]:
    """Every ARN in resolved properties, and S3 code locations as object ARNs."""
    found: list[str] = []
    if isinstance(value, list):
        for v in value:
            found += referenced_arns(v)
    elif isinstance(value, dict):
        if "S3Bucket" in value and "S3Key" in value:
            found.append(f"arn:aws:s3:::{value['S3Bucket']}/{value['S3Key']}")
            found.append(f"arn:aws:s3:::{value['S3Bucket']}")
        for v in value.values():
            found += referenced_arns(v)
    elif isinstance(value, str) and value.startswith("arn:"):
        found.append(value)
    return found


def pattern_regex(pattern: str) -> re.Pattern[str]:
    fixed = {"${Partition}": "aws", "${Region}": REGION, "${Account}": ACCOUNT}
    out = re.escape(pattern)
    for key, value in fixed.items():
        out = out.replace(re.escape(key), re.escape(value))
    out = re.sub(r"\\\$\\\{[^}]*\\\}", ".+", out)
    return re.compile(f"^{out}$")


def choose_resource(action: str, info: dict[str, Any], candidates: list[str]) -> str | None:
    """The candidate ARN the action names (its documented resource types), "*" for an action
    that takes none, None when no candidate fits."""
    if info.get("wildcardOnly") or not info.get("arns"):
        return "*"
    patterns = [p.strip() for joined in info["arns"] for p in joined.split(", ")]
    for pattern in patterns:
        regex = pattern_regex(pattern)
        for candidate in candidates:
            if regex.match(candidate):
                return candidate
    return None
