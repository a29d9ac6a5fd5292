from django.apps import AppConfig
from ninja import Schema
from ninja.params.models import ParamModel


# Pydantic builds a model's validator and serializer when its class is created, unless the
# model says ``defer_build``: then on its first use. Ninja creates ~160 models at import (our
# schemas, a parameter model and a response model per operation of the ~70), and a request
# uses two or three of them, so building them all cost every cold start about a tenth of its
# CPU (issue 15). Deferred, each is built the first time it validates or serialises, with the
# same result (tests/test_cold_path.py holds that they are deferred, and the API tests and
# infra/openapi.yaml that they behave the same). Set on the two bases before any subclass
# exists: Django imports this module right after Ninja's app, before the project's apps. (A
# model's config is merged from its direct bases' when it is created, so Ninja's own subclasses
# that exist already, such as QueryModel, are set too.)
def _defer_build(base: type) -> None:
    base.model_config["defer_build"] = True
    for sub in base.__subclasses__():
        _defer_build(sub)


_defer_build(Schema)
_defer_build(ParamModel)


class VoldashSiteConfig(AppConfig):
    name = "voldash_site"
    verbose_name = "voldash"
