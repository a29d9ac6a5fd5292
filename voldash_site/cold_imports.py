"""Imports the HTTP function's cold start does not need to pay for (issue 26).

Ninja's settings module does ``from django.test.signals import setting_changed``. Importing that
submodule first runs the ``django.test`` package, which loads Django's test client and test
utilities (and, through them, ``xml.dom.minidom`` and, where installed, Jinja2): about 8% of the
artifact's import under ``-X importtime``, for a signal that is defined in ``django.core.signals``
and that only tests send. ``load_test_signals_alone`` loads the real ``django/test/signals.py``
(its bytecode from the artifact) as ``django.test.signals`` without its package, so Ninja's import
finds it in ``sys.modules``. The module is Django's own, receivers included; only the test client
is not loaded. Only the Lambda HTTP function calls this, before anything imports Ninja; a process
that imports ``django.test`` itself (the tests, ``manage.py``) is left alone.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

NAME = "django.test.signals"


def load_test_signals_alone() -> None:
    if NAME in sys.modules or "django.test" in sys.modules:
        return
    import django

    path = Path(django.__file__).parent / "test" / "signals.py"
    spec = importlib.util.spec_from_file_location(NAME, path)
    if spec is None or spec.loader is None:  # pragma: no cover - Django without the file
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[NAME]
        raise
