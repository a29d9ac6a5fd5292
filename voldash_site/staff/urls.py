"""The staff site's URLs (imported lazily by voldash_site.urls).

The pages register themselves on import: the dashboard and the exports here, and ``<app>.staff`` of every
installed app. ``site.py`` (the registry) imports none of them, so nothing imports in a circle.
"""

import importlib

from django.apps import apps

from . import dashboard, exports  # noqa: F401  (they register themselves)
from .site import site


def autodiscover() -> None:
    """Import ``<app>.staff`` for every installed app that has one."""
    for config in apps.get_app_configs():
        if config.name == "voldash_site":
            continue
        try:
            importlib.import_module(f"{config.name}.staff")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.staff":
                raise


autodiscover()
urlpatterns = site.urls()
