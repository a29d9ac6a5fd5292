from django.apps import AppConfig
from django.core import checks


class IntegrationsConfig(AppConfig):
    name = "integrations"


@checks.register()
def check_clickup_mapping(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """The Asmbly ClickUp mapping is data: a bad entry is named by ``manage.py check`` (CI runs
    ``check --deploy``) and stops the workers at init (lambda_workers). The HTTP function does not
    load it at init: page reads never need it, and YAML plus the mapping cost every cold start."""
    from .clickup import mapping

    try:
        mapping.load_mapping(mapping.MAPPING_FILE)
    except mapping.MappingError as exc:
        return [checks.Error(f"ClickUp mapping: {exc}", id="integrations.E001")]
    return []
