"""Every environment variable the code reads is in the README's Settings table, and the
table names nothing the code does not read.

The code is read, not run: every ``os.environ.get("X")``, ``os.environ["X"]``,
``os.getenv("X")``, ``os.environ.setdefault("X", ...)``, ``"X" in os.environ`` and
``env_bool("X", ...)``-style helper call (any function whose first parameter is ``name`` and
that reads the environment), with names given as literals or module-level constants; plus the
keys that the cloud copies from the Secrets Manager secret into the environment.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = [
    *("voldash_site", "tasks", "volunteers", "shops", "integrations", "scripts"),
    *("manage.py", "tests/conftest.py"),
]
SKIP_PARTS = {"__pycache__", "fakes"}
READERS = {"get", "getenv", "setdefault", "pop"}


def _python_files() -> list[Path]:
    files: list[Path] = []
    for entry in CODE:
        path = ROOT / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if not SKIP_PARTS.intersection(f.parts)]


def _is_environ(node: ast.AST) -> bool:
    """``os.environ`` or a bare ``environ`` (a parameter that defaults to it)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _env_helpers(tree: ast.Module) -> set[str]:
    """Module functions like ``env_bool(name, default)`` that read ``os.environ.get(name)``."""
    helpers = set()
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef) and fn.args.args:
            first = fn.args.args[0].arg
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and _is_environ(node.func.value)
                    and node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id == first
                ):
                    helpers.add(fn.name)
    return helpers


def names_read_by(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    constants = {
        t.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for t in node.targets
        if isinstance(t, ast.Name) and isinstance(node.value.value, str)
    }
    helpers = _env_helpers(tree)
    # ``for name in ("A", "B")`` (loops and comprehensions): the name stands for each literal.
    loop_literals: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name):
            items = node.iter.elts if isinstance(node.iter, (ast.Tuple, ast.List)) else []
            strings = [e.value for e in items if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if strings:
                loop_literals.setdefault(node.target.id, []).extend(strings)

    def literal(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id)
        return None

    found: set[str | None] = set()

    def add(node: ast.AST) -> None:
        if isinstance(node, ast.Name) and node.id in loop_literals:
            found.update(loop_literals[node.id])
        else:
            found.add(literal(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            reads_environ = isinstance(func, ast.Attribute) and (
                (func.attr in READERS and _is_environ(func.value)) or func.attr == "getenv"
            )
            if reads_environ or (isinstance(func, ast.Name) and func.id in helpers):
                add(node.args[0])
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            add(node.slice)
        elif isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            add(node.left)
    return {n for n in found if n and re.fullmatch(r"[A-Z][A-Z0-9_]+", n)}


def names_in_code() -> set[str]:
    from voldash_site import cloud_secrets

    names = set(cloud_secrets.REQUIRED_IN_CLOUD) | set(cloud_secrets.OPTIONAL)
    for path in _python_files():
        names |= names_read_by(path)
    return names


def names_in_readme() -> set[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]+)`", section, flags=re.MULTILINE))


def test_the_scan_finds_what_settings_reads():
    found = names_in_code()
    for name in ("VOLDASH_ENV", "DJANGO_ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "FRONTEND_URL", "LOG_LEVEL"):
        assert name in found
    assert "DJANGO_DEBUG" in found  # through env_bool("DJANGO_DEBUG", ...)
    assert "VOLDASH_SECRETS_ID" in found  # through a module constant
    assert "NEON_API_KEY" in found


def test_every_variable_the_code_reads_is_in_the_readme():
    missing = sorted(names_in_code() - names_in_readme())
    assert missing == [], f"README.md's Settings table does not name {missing}"


def test_the_readme_names_no_variable_the_code_does_not_read():
    stale = sorted(names_in_readme() - names_in_code())
    assert stale == [], f"README.md's Settings table names variables nothing reads: {stale}"
