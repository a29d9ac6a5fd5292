#!/usr/bin/env python3
"""Print constraints.txt for the current virtualenv: one ``name==version`` line per package.

``make constraints`` runs it. Unlike ``pip freeze``, it never writes ``name @ file:///...``
or a URL for a package that was installed from a local wheel or a VCS checkout: it prints the
version only, so the file installs from the package index on any machine. It checks its own
output and fails if any line is not a plain pin (tests/test_dependency_pins.py checks the
committed file the same way).
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import distributions

# The project itself and the installer's own tools are not constraints of the project.
SKIP = {"voldash", "pip", "setuptools", "wheel"}
PLAIN_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9][A-Za-z0-9.+!_-]*$")


def pins() -> list[str]:
    found: dict[str, str] = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if not name or name.lower() in SKIP:
            continue
        found[name] = dist.version
    return [f"{name}=={version}" for name, version in sorted(found.items(), key=lambda kv: kv[0].lower())]


def main() -> int:
    lines = pins()
    bad = [line for line in lines if not PLAIN_PIN.match(line)]
    if bad:
        print(f"refusing to write pins that are not name==version: {bad}", file=sys.stderr)
        return 1
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
