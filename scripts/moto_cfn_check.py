#!/usr/bin/env python3
"""Best effort: create the stacks in moto's CloudFormation (server mode) and say what it could not.

moto implements only part of CloudFormation (a subset of resource types, and none of the
service-side checks: IAM, quotas, CloudFront's account verification). A stack that moto creates
proves the templates' wiring (Refs, GetAtts, Conditions, nested stack) resolves; a resource type
moto does not know is named here, not hidden. Prints one line per stack, and exits 0 either way
(what moto cannot emulate is not a defect of the templates).

  python scripts/moto_cfn_check.py
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rendered_sam() -> dict:
    """template.yaml after SAM's transform, the nested table template inlined as a body."""
    from cfnlint.decode import decode
    from samtranslator.translator.transform import transform

    class _NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    tpl, _ = decode(str(ROOT / "template.yaml"))
    tpl = json.loads(json.dumps(tpl, default=str))
    tpl["Globals"]["Function"]["CodeUri"] = "s3://voldash-artifacts/lambda.zip"
    return transform(tpl, {}, _NoManagedPolicies())


def main() -> int:
    from moto.server import ThreadedMotoServer

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials
        AWS_DEFAULT_REGION="us-east-2",
    )
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        import boto3
        from moto.cloudformation.parsing import get_model_map

        model_map = get_model_map()

        url = f"http://127.0.0.1:{port}"
        cfn = boto3.client("cloudformation", region_name="us-east-2", endpoint_url=url)
        s3 = boto3.client("s3", region_name="us-east-2", endpoint_url=url)
        s3.create_bucket(
            Bucket="voldash-artifacts", CreateBucketConfiguration={"LocationConstraint": "us-east-2"}
        )
        s3.put_object(Bucket="voldash-artifacts", Key="lambda.zip", Body=b"PK\x05\x06" + b"\0" * 18)
        s3.put_object(
            Bucket="voldash-artifacts",
            Key="dynamodb.yaml",
            Body=(ROOT / "infra" / "dynamodb.yaml").read_bytes(),
        )
        sam = rendered_sam()
        sam["Resources"]["Table"]["Properties"]["TemplateURL"] = f"{url}/voldash-artifacts/dynamodb.yaml"
        parameters = {
            "template.yaml": [
                {"ParameterKey": "DomainName", "ParameterValue": "voldash.asmbly.org"},
                {
                    "ParameterKey": "CertificateArn",
                    "ParameterValue": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b",
                },
                {"ParameterKey": "AlarmEmail", "ParameterValue": "ops@asmbly.org"},
            ],
            "infra/dynamodb.yaml": [],
            "template-cicd.yaml": [],
        }
        bodies = {
            "infra/dynamodb.yaml": (ROOT / "infra" / "dynamodb.yaml").read_text(),
            "template-cicd.yaml": (ROOT / "template-cicd.yaml").read_text(),
            "template.yaml": json.dumps(sam),
        }
        for name, body in bodies.items():
            from cfnlint.decode import decode_str

            parsed, _ = decode_str(body)
            types = sorted({r["Type"] for r in (parsed or {}).get("Resources", {}).values()})
            unknown = [t for t in types if t not in model_map and t != "AWS::CloudFormation::Stack"]
            stack = "voldash-" + name.replace("/", "-").replace(".yaml", "")
            try:
                cfn.create_stack(
                    StackName=stack,
                    TemplateBody=body,
                    Parameters=[
                        p for p in parameters[name] if p["ParameterKey"] in (parsed.get("Parameters") or {})
                    ],
                    Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
                )
                status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
                created = len(cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"])
                outcome = f"{status}, {created} resources"
            except Exception as exc:  # moto's own limits: reported, not fatal
                outcome = f"not created: {type(exc).__name__}: {str(exc)[:200]}"
            print(f"{name}: {outcome}")
            listed = ", ".join(unknown) or "none"
            print(f"  resource types moto's CloudFormation does not model ({len(unknown)}): {listed}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
