"""AWS Lambda entry point for HTTP: API Gateway REST (v1), HTTP API (v2) and ALB events.

``handler`` is the name template.yaml and other tools rely on (DESIGN.md section 7).

Work every request needs (the URLconf and its imports, the DynamoDB client) is done here, at
import, in Lambda's init phase, which runs at full CPU before the first request; anything
only some requests need (the staff pages, the integration clients) is deferred to first use.
"""

import gc
import os

from apig_wsgi import make_lambda_handler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voldash_site.settings")

from django.urls import get_resolver

from voldash_site.wsgi import application


def _warm() -> None:
    from voldash_site.dynamodb.items import ensure_configured

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf, the API and its routers
    ensure_configured()  # builds the botocore client (no network call)
    # Everything imported so far lives as long as the container: collect once and move it out
    # of the collector's way, so no request pays for a full collection of the import graph.
    gc.collect()
    gc.freeze()


_warm()
handler = make_lambda_handler(application)
