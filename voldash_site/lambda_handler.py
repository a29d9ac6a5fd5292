"""AWS Lambda entry point for HTTP: API Gateway REST (v1), HTTP API (v2) and ALB events.

``handler`` is the name template.yaml and other tools rely on (DESIGN.md section 7).
"""

import os

from apig_wsgi import make_lambda_handler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voldash_site.settings")

from voldash_site.wsgi import application

handler = make_lambda_handler(application)
