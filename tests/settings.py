"""The settings pytest runs with: the app's own, in the explicit ``test`` mode.

``voldash_site.settings`` has no default mode (it refuses to start without VOLDASH_ENV), so the
test run chooses ``test`` here, before the app's settings are imported; subprocesses that tests
start inherit it.
"""

import os

os.environ["VOLDASH_ENV"] = "test"
for _cloud_sign in ("VOLDASH_SECRETS_ID", "AWS_LAMBDA_FUNCTION_NAME"):
    os.environ.pop(_cloud_sign, None)

from voldash_site.settings import *  # noqa: E402, F403
