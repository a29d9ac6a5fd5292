"""AWS Lambda entry point for HTTP: API Gateway REST (v1), HTTP API (v2) and ALB events.

``handler`` is the name template.yaml and other tools rely on (DESIGN.md section 7).

Work every request needs (the URLconf and its imports, the DynamoDB client) is done here, at
import, in Lambda's init phase, which runs at full CPU before the first request; anything
only some requests need (the staff pages, the login and webhook views, the integration clients)
is deferred to first use.
"""

import gc

# The init phase allocates the whole import graph and frees little of it: the cyclic collector
# would walk it again and again as it grows (about a tenth of the init's CPU). Off until the
# graph is built; then frozen, not collected: a full collection of ~170,000 objects would cost
# more than the few unreachable ones it would free (RSS is the same either way).
gc.disable()

import os  # noqa: E402

from apig_wsgi import make_lambda_handler  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voldash_site.settings")

from django.apps import apps  # noqa: E402

from voldash_site.cold_imports import load_test_signals_alone  # noqa: E402

# Ninja imports django.test.signals, which would load Django's test client (voldash_site/cold_imports.py).
load_test_signals_alone()

from voldash_site.pydantic_defer import defer_model_builds  # noqa: E402

# A fresh Lambda environment: the API's models are built on first use (voldash_site/pydantic_defer.py).
# A process that had set Django up before importing this module (the tests) keeps building its
# models at import, as runserver does.
if not apps.ready:
    defer_model_builds()

from django.urls import get_resolver  # noqa: E402

from voldash_site.wsgi import application  # noqa: E402


def _warm() -> None:
    from voldash_site.dynamodb.items import ensure_configured

    try:
        get_resolver().url_patterns  # noqa: B018 - imports the URLconf, the API and its routers
        ensure_configured()  # builds the botocore client (no network call)
        # Everything imported so far lives as long as the container: move it out of the
        # collector's way, so that no request pays for a full collection of the import graph.
        gc.freeze()
    finally:
        gc.enable()


_warm()
_http = make_lambda_handler(application)

# What the keep-warm schedule sends (template.yaml: a Schedule event with this constant Input).
KEEP_WARM_EVENT = {"voldash_keep_warm": True}


def handler(event: dict, context: object) -> dict:
    """apig-wsgi's handler for HTTP events; the keep-warm ping is answered here, without Django,
    DynamoDB or a log line, so that it keeps the environment initialized and costs ~1 ms."""
    if event.get("voldash_keep_warm") is True:
        return {"warm": True}
    return _http(event, context)
