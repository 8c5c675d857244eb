from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        from catalog import (
            generation,  # noqa: F401 - connects the generation's receivers
            references,
        )

        references.register()
