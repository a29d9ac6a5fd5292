"""Build the API's pydantic models on first use, not at import (the HTTP function's cold start).

Pydantic builds a model's validator and serializer when its class is created, unless the model
says ``defer_build``: then on its first use. Ninja creates ~160 models at import (our schemas, a
parameter model and a response model per operation), and a request uses two or three of them, so
building them all cost every cold start about a tenth of its CPU (issue 15). Deferred, each is
built the first time it validates or serialises, with the same result.

Only the Lambda HTTP function asks for it (``lambda_handler``, before Django loads the apps): a
Lambda environment serves one request at a time. A threaded server (runserver, the tests' 50
simultaneous claims) would have every thread of the first burst build the same models at once.
"""

from __future__ import annotations

from ninja import Schema
from ninja.params.models import ParamModel


def _defer(base: type) -> None:
    # A model's config is merged from its direct bases' when the class is created: Ninja's own
    # subclasses that exist already (QueryModel, PathModel, ...) are set too.
    base.model_config["defer_build"] = True  # type: ignore[attr-defined]
    for sub in base.__subclasses__():
        _defer(sub)


def defer_model_builds() -> None:
    """Every Ninja schema and parameter model created from now on is built on first use."""
    _defer(Schema)
    _defer(ParamModel)
