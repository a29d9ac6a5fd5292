"""CloudWatch metrics from Lambda without an API call: the embedded metric format (EMF).

A JSON line with an ``_aws`` block, written to stdout, becomes a metric when Lambda ships the
log to CloudWatch Logs, so the functions need no ``cloudwatch:PutMetricData`` permission.
Namespace ``voldash``, dimension ``Env`` (template.yaml's alarms read the same names).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import TextIO

NAMESPACE = "voldash"


def emit(name: str, value: float, *, unit: str = "Count", stream: TextIO | None = None) -> dict:
    """Write one EMF record for ``name`` and return it (tests read it back)."""
    env = os.environ.get("VOLDASH_ENV", "local")
    record = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {"Namespace": NAMESPACE, "Dimensions": [["Env"]], "Metrics": [{"Name": name, "Unit": unit}]}
            ],
        },
        "Env": env,
        name: value,
    }
    out = stream or sys.stdout
    out.write(json.dumps(record) + "\n")
    out.flush()
    return record
