from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    default = True
    name = "procurement"
    verbose_name = _("Procurement portal")


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "procurement.admin_site.PortalAdminSite"
