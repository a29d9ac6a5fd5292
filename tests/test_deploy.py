"""Deployable on AWS, checked offline: templates lint clean, cloud settings refuse to start
without secrets, `check --deploy` is clean, and the built Lambda package serves a request."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ["template.yaml", "infra/dynamodb.yaml", "infra/certs.yaml", "template-cicd.yaml"]
CLOUD_SECRETS = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "CLICKUP_API_TOKEN": "pk_x",
    "CLICKUP_WEBHOOK_SECRET": "whsec",
    "NEON_ORG_ID": "asmbly",
    "NEON_API_KEY": "key",
    "NEON_OAUTH_CLIENT_ID": "client",
    "NEON_OAUTH_CLIENT_SECRET": "secret",
    "NEON_WEBHOOK_USERNAME": "hook",
    "NEON_WEBHOOK_PASSWORD": "pass",
}


def run_python(
    code: str, env: dict[str, str], *, isolated_path: Path | None = None, flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    scratch = tempfile.gettempdir()
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": scratch}
    args = [sys.executable, *flags]
    if isolated_path is not None:
        args.append("-S")  # no site-packages: only the standard library and the artifact
        base["PYTHONPATH"] = str(isolated_path)
    else:
        base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [*args, "-c", code], env={**base, **env}, capture_output=True, text=True, cwd=scratch, timeout=120
    )


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_passes_cfn_lint(template):
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(ROOT / template)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_stack_routes_what_the_api_needs_through_cloudfront():
    from voldash_site.dynamodb.schema import load_template

    template = load_template(ROOT / "template.yaml")
    behaviors = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["CacheBehaviors"]
    routed = {b["PathPattern"]: b for b in behaviors}
    caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    for path in ("/api/*", "/auth/*", "/webhooks/*", "/staff/*", "/report/*"):
        assert routed[path]["TargetOriginId"] == "api"
        assert routed[path]["CachePolicyId"] == caching_disabled  # personal responses are never cached
        assert "POST" in routed[path]["AllowedMethods"]
    functions = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert functions["HttpFunction"]["Properties"]["Handler"] == "voldash_site.lambda_handler.handler"
    for name in functions:
        assert f"{name}Logs" in template["Resources"], f"{name} has no log group with retention"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_cloud_refuses_to_start_without_its_secrets_and_names_them(env):
    result = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='voldash_site.settings'; django.setup()",
        {"VOLDASH_ENV": env, "NEON_API_KEY": "set"},
    )
    assert result.returncode != 0
    assert "missing required secrets DJANGO_SECRET_KEY, CLICKUP_API_TOKEN" in result.stderr
    assert "NEON_API_KEY" not in result.stderr.split("missing required secrets")[1].split(".")[0]


def test_secrets_are_read_from_secrets_manager_once():
    from moto import mock_aws

    from voldash_site import cloud_secrets

    with mock_aws():
        import boto3

        client = boto3.client("secretsmanager", region_name="us-east-2")
        client.create_secret(
            Name="voldash/prod", SecretString=json.dumps({**CLOUD_SECRETS, "UNRELATED": "x"})
        )
        calls = []

        def factory():
            calls.append(1)
            return client

        cloud_secrets._loaded_from = None
        environ = {"VOLDASH_SECRETS_ID": "voldash/prod", "NEON_API_KEY": "from-env-wins"}
        loaded = cloud_secrets.load_secrets(environ, client_factory=factory)
        assert "DJANGO_SECRET_KEY" in loaded and "UNRELATED" not in environ
        assert environ["NEON_API_KEY"] == "from-env-wins"
        assert cloud_secrets.missing_required(environ) == []
        assert cloud_secrets.load_secrets(environ, client_factory=factory) == []  # cached: no second call
        assert len(calls) == 1
        cloud_secrets._loaded_from = None


def test_check_deploy_is_clean_with_production_settings():
    result = run_python(
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE']='voldash_site.settings'; "
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        {"VOLDASH_ENV": "prod", "DJANGO_ALLOWED_HOSTS": "voldash.asmbly.org", **CLOUD_SECRETS},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


HANDLER_PROBE = """
import json, time
t0 = time.perf_counter()
from voldash_site.lambda_handler import handler
t1 = time.perf_counter()
def event(path):
    return {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {"host": "api.voldash.test", "x-forwarded-proto": "https"},
            "requestContext": {"http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                               "sourceIp": "203.0.113.1", "userAgent": "probe"}}, "isBase64Encoded": False}
import pydantic_core  # a compiled extension: what SAM's own Python builder used to strip
health = handler(event("/api/v1/health"), None)
t2 = time.perf_counter()
css = handler(event("/static/staff/staff.css"), None)
import django
print(json.dumps({"health": health["statusCode"], "body": health["body"], "css": css["statusCode"],
                  "import_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000, "django": django.__file__,
                  "pydantic_core": pydantic_core.__file__}))
"""


@pytest.mark.slow
def test_the_built_package_serves_a_request_in_a_clean_process(tmp_path, table):
    # Exactly what `sam build` runs for a function (template.yaml: BuildMethod: makefile):
    # `make --makefile Makefile build-<Function>` with ARTIFACTS_DIR set; the target runs
    # scripts/package_lambda.py (= `make package`) and copies its output.
    artifact = tmp_path / "artifacts"
    artifact.mkdir()
    built = tmp_path / "out"
    build = subprocess.run(
        ["make", "--makefile", "Makefile", "build-HttpFunction", f"LAMBDA_OUT={built}"],
        cwd=ROOT,
        env={**os.environ, "ARTIFACTS_DIR": str(artifact)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-3000:]
    assert (built / "lambda.zip").stat().st_size < 50_000_000  # Lambda's direct-upload limit
    assert sorted(p.name for p in artifact.iterdir()) == sorted(p.name for p in (built / "lambda").iterdir())
    env = {
        "VOLDASH_ENV": "prod",
        "DJANGO_ALLOWED_HOSTS": "api.voldash.test",
        **CLOUD_SECRETS,
        "DYNAMODB_ENDPOINT_URL": table.endpoint_url,
        "DYNAMODB_TABLE": table.table_name,
        "AWS_REGION": "us-east-1",
    }
    result = run_python(HANDLER_PROBE, env, isolated_path=artifact)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["health"] == 200 and json.loads(out["body"])["env"] == "prod"
    assert out["css"] == 200  # WhiteNoise serves the collected static files
    assert out["django"].startswith(str(artifact))  # nothing leaked in from the dev virtualenv
    assert out["pydantic_core"].startswith(str(artifact))

    # Lambda unzips the artifact with the zip's timestamps into a read-only directory: the shipped
    # bytecode must be used as is, not compiled again (and thrown away) on every cold start.
    for source in artifact.rglob("*.py"):
        os.utime(source, (1577836800, 1577836800))  # 2020-01-01, package_lambda.zip_dir's date
    verbose = run_python(
        "import voldash_site.lambda_handler",
        {**env, "DYNAMODB_ENDPOINT_URL": table.endpoint_url},
        isolated_path=artifact,
        flags=("-B", "-v"),
    )
    assert verbose.returncode == 0, verbose.stderr[-3000:]
    loaded = [line for line in verbose.stderr.splitlines() if line.startswith("# code object from ")]
    compiled_here = [line for line in loaded if str(artifact) in line and line.endswith(".py")]
    from_bytecode = [line for line in loaded if str(artifact) in line and line.endswith(".pyc'")]
    assert compiled_here == [], compiled_here[:5]
    assert len(from_bytecode) > 500  # Django, Ninja, PynamoDB, botocore and voldash itself
    pyc = next(artifact.glob("voldash_site/__pycache__/lambda_handler.cpython-311.pyc")).read_bytes()
    assert pyc[:4] == (3495).to_bytes(2, "little") + b"\r\n"  # Python 3.11's magic: Lambda's runtime
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, source not checked (PEP 552)


def test_requests_that_bypass_cloudfront_are_refused(table, settings):
    from django.test import Client, override_settings

    with override_settings(ORIGIN_VERIFY_SECRET="s3cret-from-cloudfront"):
        assert Client().get("/api/v1/health").status_code == 403
        assert Client().get("/api/v1/health", HTTP_X_ORIGIN_VERIFY="wrong").status_code == 403
        assert (
            Client().get("/api/v1/health", HTTP_X_ORIGIN_VERIFY="s3cret-from-cloudfront").status_code == 200
        )
    assert Client().get("/api/v1/health").status_code == 200  # not set: not checked (local, test)


def _packager():
    import importlib.util

    spec = importlib.util.spec_from_file_location("package_lambda", ROOT / "scripts" / "package_lambda.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_the_package_is_built_for_the_runtime_and_architecture_the_template_deploys(tmp_path):
    from voldash_site.dynamodb.schema import load_template

    packager = _packager()
    function = load_template(ROOT / "template.yaml")["Globals"]["Function"]
    python, arch = packager.lambda_target()
    assert f"python{python[0]}.{python[1]}" == function["Runtime"]
    assert [arch] == function["Architectures"]
    assert packager.PLATFORM[:2] == ["--platform", packager.PIP_PLATFORMS[arch]]
    other = tmp_path / "template.yaml"
    other.write_text(
        "Globals:\n  Function:\n    Runtime: python3.12\n    Architectures: [arm64]\n", encoding="utf-8"
    )
    assert packager.lambda_target(other) == ((3, 12), "arm64")
    assert packager.PIP_PLATFORMS["arm64"] == "manylinux2014_aarch64"
