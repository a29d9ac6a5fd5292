#!/usr/bin/env python3
"""Build the Lambda artifact: build/lambda (what template.yaml's CodeUri points at) and
build/lambda.zip.

Dependencies are installed as manylinux wheels for the runtime and architecture template.yaml
deploys (Globals.Function: python3.11, x86_64 or arm64), pinned by constraints.txt; the app's
packages and its collected static files are copied next to them.

botocore's service models are all kept. The artifact's botocore is the one that runs (it comes
first on sys.path, before the runtime's own), so a model pruned here is a service the code
cannot call: ``boto3.client("s3")`` raised UnknownServiceError in production when a hand list
of "the services voldash calls" forgot S3 and SES (issue 22). The models are gzipped JSON,
loaded only when a client for that service is made: they cost zip size, never cold-start time
(measured: README, Deployment). tests/test_artifact_smoke.py runs the built artifact alone and
creates every client the code makes.

Then everything is compiled to bytecode for that Python (Lambda's code directory is read-only, so
without it every cold start compiles the whole import graph and throws the result away). The
``.pyc`` files are hash-based and unchecked (PEP 552): the zip stores every file with one fixed
timestamp, so timestamp-checked bytecode would look stale next to its source after Lambda unzips
it and be compiled again. Unchecked bytecode is used as is; the artifact is rebuilt from scratch
on every deploy, so it cannot fall out of step with its source. The sources stay in the artifact
(tracebacks in the logs show the code lines; about a third of the size).

  python scripts/package_lambda.py [--out build] [--no-bytecode]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_PACKAGES = ("voldash_site", "tasks", "volunteers", "shops", "integrations")
# The runtime and architecture come from template.yaml (Globals.Function), so that the wheels and
# the bytecode always match what is deployed: bytecode is only valid for the interpreter version
# that wrote it (its magic number changes between 3.x releases), wheels for one CPU architecture.
PIP_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}


def lambda_target(template: Path = ROOT / "template.yaml") -> tuple[tuple[int, int], str]:
    """(Python version, architecture) of the functions in ``template``: ((3, 11), "x86_64")."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from voldash_site.dynamodb.schema import load_template

    function = load_template(template)["Globals"]["Function"]
    runtime = function["Runtime"]  # e.g. python3.11
    major, minor = runtime.removeprefix("python").split(".")
    architecture = (function.get("Architectures") or ["x86_64"])[0]
    if architecture not in PIP_PLATFORMS:
        raise SystemExit(f"package_lambda: unknown architecture {architecture!r} in {template.name}")
    return (int(major), int(minor)), architecture


LAMBDA_PYTHON, LAMBDA_ARCH = lambda_target()
PLATFORM = [
    "--platform",
    PIP_PLATFORMS[LAMBDA_ARCH],
    "--implementation",
    "cp",
    "--python-version",
    f"{LAMBDA_PYTHON[0]}.{LAMBDA_PYTHON[1]}",
    "--only-binary=:all:",
]


def runtime_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [r.split("#")[0].strip() for r in project["dependencies"]]


def install_dependencies(target: Path, requirements: list[str] | None = None) -> None:
    """pip-install ``requirements`` (default: voldash's runtime dependencies) as Lambda wheels."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(target),
            *PLATFORM,
            "-c",
            str(ROOT / "constraints.txt"),
            *(runtime_requirements() if requirements is None else requirements),
        ],
        check=True,
    )


# Parts of Django voldash never loads: other languages (USE_I18N is off), and contrib apps
# that are not installed.
DJANGO_UNUSED = (
    "contrib/gis",
    "contrib/postgres",
    "contrib/admindocs",
    "contrib/flatpages",
    "contrib/redirects",
    "contrib/sitemaps",
    "contrib/syndication",
    "contrib/admin/static",
    "contrib/admin/locale",
)


def strip_bytecode(target: Path) -> None:
    for junk in list(target.rglob("__pycache__")):
        if junk.is_dir():
            shutil.rmtree(junk, ignore_errors=True)
    for f in target.rglob("*.pyc"):
        f.unlink()


def lambda_python() -> str:
    """An interpreter of the Lambda runtime's version: this one, else python3.11 on PATH."""
    if sys.version_info[:2] == LAMBDA_PYTHON:
        return sys.executable
    name = f"python{LAMBDA_PYTHON[0]}.{LAMBDA_PYTHON[1]}"
    found = shutil.which(name)
    if found is None:
        raise SystemExit(
            f"package_lambda: bytecode must be compiled by {name} (the Lambda runtime); not found"
        )
    return found


def compile_bytecode(target: Path) -> None:
    """Compile every module to unchecked-hash ``__pycache__/*.cpython-311.pyc`` (see the docstring).

    Optimization level 0: Lambda runs Python without -O, so it looks for plain ``.pyc`` files."""
    subprocess.run(
        [
            lambda_python(),
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(target),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def prune(target: Path) -> None:
    django = target / "django"
    for rel in DJANGO_UNUSED:
        shutil.rmtree(django / rel, ignore_errors=True)
    for locale_dir in (
        list((django / "conf" / "locale").iterdir()) if (django / "conf" / "locale").exists() else []
    ):
        messages = locale_dir / "LC_MESSAGES"
        if locale_dir.name != "en" and messages.exists():
            shutil.rmtree(messages)
    for contrib_locale in django.glob("contrib/*/locale"):
        shutil.rmtree(contrib_locale)
    for source_map in target.rglob("*.map"):
        source_map.unlink()
    for junk in list(target.rglob("tests")):
        if junk.is_dir():
            shutil.rmtree(junk, ignore_errors=True)
    strip_bytecode(target)
    for f in target.rglob("*.pyi"):
        f.unlink()


def copy_app(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in APP_PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=ignore)
    (target / "infra").mkdir()
    shutil.copy2(ROOT / "infra" / "dynamodb.yaml", target / "infra" / "dynamodb.yaml")


def collect_static(target: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "voldash_site.settings",
        "VOLDASH_ENV": "local",
        "DJANGO_STATIC_ROOT": str(target / ".staticfiles"),
    }
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "--verbosity", "0"],
        check=True,
        env=env,
        cwd=ROOT,
    )


def zip_dir(source: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(str(path.relative_to(source)), date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="ship sources only (for comparing cold starts)"
    )
    args = parser.parse_args()
    target = args.out / "lambda"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    install_dependencies(target)
    prune(target)
    copy_app(target)
    collect_static(target)
    for source_map in target.rglob("*.map"):  # debugging aids for the browser, not needed here
        source_map.unlink()
    strip_bytecode(target)  # collectstatic's own imports may have written some (timestamp-checked)
    if not args.no_bytecode:
        compile_bytecode(target)
    archive = args.out / "lambda.zip"
    zip_dir(target, archive)
    print(
        f"{target} (python{LAMBDA_PYTHON[0]}.{LAMBDA_PYTHON[1]}, {LAMBDA_ARCH}): "
        f"{size_of(target) / 1e6:.1f} MB unzipped; {archive}: {archive.stat().st_size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
