"""The staff site's URLs (imported lazily by voldash_site.urls)."""

from .site import site

urlpatterns = site.urls()
