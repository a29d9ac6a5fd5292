"""The README's error-code table is the list of every ``code`` an endpoint can answer with.

The code is read, not run: ``code = "..."`` on error classes, ``code="..."`` where an error is
raised, the codes passed to the answer helpers (``error_response``, webhook ``answer``), JSON
bodies built with a literal ``"code"``, and the claim refusals of ``tasks.domain.Refusal``.
Where the status is written next to the code, the table's status must match it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("voldash_site", "tasks", "volunteers", "shops", "integrations")
# Helpers whose arguments are (..., status, code, ...): the index of the status.
ANSWER_HELPERS = {"error_response": 1, "answer": 0}


def _literal(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def codes_in_code() -> dict[str, set[int | None]]:
    from voldash_site.http_errors import STATUS_FOR, STATUS_FOR_CODE

    status_of_class = {cls.__name__: status for cls, status in STATUS_FOR}
    found: dict[str, set[int | None]] = {}

    def add(code: object, status: object = None) -> None:
        if isinstance(code, ast.IfExp):  # "stored" if stored else "duplicate"
            add(_literal(code.body), status)
            add(_literal(code.orelse), status)
            return
        if isinstance(code, str) and re.fullmatch(r"[a-z][a-z_]+", code):
            found.setdefault(code, set()).add(status if isinstance(status, int) else None)

    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "__pycache__" in path.parts or "management" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    for stmt in node.body:
                        if isinstance(stmt, ast.Assign) and any(
                            isinstance(t, ast.Name) and t.id == "code" for t in stmt.targets
                        ):
                            add(_literal(stmt.value))
                elif isinstance(node, ast.Call):
                    name = getattr(node.func, "id", getattr(node.func, "attr", None))
                    for kw in node.keywords:
                        if kw.arg == "code":  # raise Conflict(..., code="task_not_open")
                            add(_literal(kw.value), status_of_class.get(name))
                    if name in ANSWER_HELPERS:
                        offset = ANSWER_HELPERS[name]
                        args = node.args
                        if len(args) > offset + 1:
                            code = args[offset + 1]
                            add(
                                code if isinstance(code, ast.IfExp) else _literal(code),
                                _literal(args[offset]),
                            )
                    elif name in {"JsonResponse", "create_response"} and node.args:
                        body = node.args[0] if name == "JsonResponse" else node.args[1]
                        status = next((_literal(k.value) for k in node.keywords if k.arg == "status"), 200)
                        if isinstance(body, ast.Dict):
                            for k, v in zip(body.keys, body.values, strict=True):
                                if _literal(k) == "code":
                                    add(v if isinstance(v, ast.IfExp) else _literal(v), status)
    from tasks.domain import Refusal

    for refusal in Refusal:  # raised as Forbidden(code=verdict.reason.value), or 409 when not open
        add(refusal.value, 409 if refusal is Refusal.NOT_OPEN else 403)
    for code, status in STATUS_FOR_CODE.items():
        add(code, status)
    found.pop("error", None)  # DomainError's own default, never raised as such
    return found


def readme_table() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n### Error codes", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\|\s*`([a-z_]+)`\s*\|\s*(\d{3}|\dxx)\s*\|", section, flags=re.MULTILINE)
    return dict(rows)


def test_the_scan_sees_codes_from_every_source():
    found = codes_in_code()
    for code in ("not_found", "task_not_open", "claim_limit_reached", "validation_error", "bad_signature"):
        assert code in found
    assert found["too_large"] >= {413}


def test_every_code_the_code_can_answer_is_in_the_readme_table():
    missing = sorted(set(codes_in_code()) - set(readme_table()))
    assert missing == [], f"README.md's error-code table lacks {missing}"


def test_the_readme_table_lists_no_code_that_nothing_answers():
    stale = sorted(set(readme_table()) - set(codes_in_code()))
    assert stale == [], f"README.md's error-code table lists codes nothing answers: {stale}"


def test_the_readme_table_gives_the_status_the_code_answers_with():
    table = readme_table()
    wrong = {
        code: (table[code], statuses)
        for code, statuses in codes_in_code().items()
        if code in table and statuses - {None} and table[code] not in {str(s) for s in statuses}
    }
    assert wrong == {}


def test_domain_error_classes_map_to_the_status_in_the_table():
    from voldash_site import errors
    from voldash_site.http_errors import status_for

    table = readme_table()
    for cls in (
        errors.NotFound,
        errors.InvalidInput,
        errors.InvalidCursor,
        errors.Forbidden,
        errors.Conflict,
    ):
        assert table[cls.code] == str(status_for(cls("x"))), cls
    assert table["storage_unavailable"] == str(status_for(errors.StorageUnavailable("x"))) == "503"


def test_the_schema_enumerates_exactly_the_error_codes_of_the_table():
    """`ErrorOut.code` is an enum in infra/openapi.yaml (the typed client's union): the
    table's codes that are errors (webhook acknowledgements answer 200 and are not)."""
    from typing import get_args

    from voldash_site.schemas import ErrorCode

    errors = {code for code, status in readme_table().items() if not status.startswith("2")}
    assert set(get_args(ErrorCode)) == errors
