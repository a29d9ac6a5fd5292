"""The frontend's typed client (infra/client/): generated from infra/openapi.yaml by
openapi-typescript, used through openapi-fetch. It must regenerate without a diff and, with the
README's claim example, type-check under ``tsc --strict``."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "infra" / "client"
BIN = ROOT / "node_modules" / ".bin"


def test_the_committed_types_are_what_the_contract_generates(tmp_path):
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(BIN / "openapi-typescript"), str(ROOT / "infra" / "openapi.yaml"), "-o", str(out)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    assert out.read_text() == (CLIENT / "schema.d.ts").read_text(), (
        "infra/client/schema.d.ts is stale: run `make openapi` and commit it"
    )


def test_the_client_and_the_readme_example_type_check():
    done = subprocess.run([str(BIN / "tsc"), "-p", str(CLIENT)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_shows_the_example():
    readme = (ROOT / "README.md").read_text()
    example = (CLIENT / "example.ts").read_text()
    assert 'api.POST("/api/v1/tasks/{task_id}/claim"' in readme
    assert 'api.POST("/api/v1/tasks/{task_id}/claim"' in example
