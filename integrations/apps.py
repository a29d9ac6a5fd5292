from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        # The Asmbly ClickUp mapping is data: a bad entry stops the app here, named.
        from .clickup.mapping import MappingError, load_mapping

        try:
            load_mapping()
        except MappingError as exc:
            raise ImproperlyConfigured(f"ClickUp mapping: {exc}") from exc
