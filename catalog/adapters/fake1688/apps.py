from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Fake1688Config(AppConfig):
    name = "catalog.adapters.fake1688"
    label = "fake1688"
    verbose_name = _("Fake 1688 open platform")
    default_auto_field = "django.db.models.BigAutoField"
