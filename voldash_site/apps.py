from django.apps import AppConfig


class VoldashSiteConfig(AppConfig):
    name = "voldash_site"
    verbose_name = "voldash"
