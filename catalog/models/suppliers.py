"""Suppliers, their vetting timeline and the performance records behind their scorecard."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models.uploads import LICENCE_EXTENSIONS, LICENCE_MAX_BYTES, GeneratedName, UploadCheck
from procurement.core.models import StatusEvent, TimeStampedModel
from procurement.core.states import Stateful


class Province(models.TextChoices):
    ANHUI = "anhui", _("Anhui")
    BEIJING = "beijing", _("Beijing")
    CHONGQING = "chongqing", _("Chongqing")
    FUJIAN = "fujian", _("Fujian")
    GANSU = "gansu", _("Gansu")
    GUANGDONG = "guangdong", _("Guangdong")
    GUANGXI = "guangxi", _("Guangxi")
    GUIZHOU = "guizhou", _("Guizhou")
    HAINAN = "hainan", _("Hainan")
    HEBEI = "hebei", _("Hebei")
    HEILONGJIANG = "heilongjiang", _("Heilongjiang")
    HENAN = "henan", _("Henan")
    HUBEI = "hubei", _("Hubei")
    HUNAN = "hunan", _("Hunan")
    INNER_MONGOLIA = "inner_mongolia", _("Inner Mongolia")
    JIANGSU = "jiangsu", _("Jiangsu")
    JIANGXI = "jiangxi", _("Jiangxi")
    JILIN = "jilin", _("Jilin")
    LIAONING = "liaoning", _("Liaoning")
    NINGXIA = "ningxia", _("Ningxia")
    QINGHAI = "qinghai", _("Qinghai")
    SHAANXI = "shaanxi", _("Shaanxi")
    SHANDONG = "shandong", _("Shandong")
    SHANGHAI = "shanghai", _("Shanghai")
    SHANXI = "shanxi", _("Shanxi")
    SICHUAN = "sichuan", _("Sichuan")
    TIANJIN = "tianjin", _("Tianjin")
    TIBET = "tibet", _("Tibet")
    XINJIANG = "xinjiang", _("Xinjiang")
    YUNNAN = "yunnan", _("Yunnan")
    ZHEJIANG = "zhejiang", _("Zhejiang")
    OTHER = "other", _("Other")


class Supplier(Stateful, TimeStampedModel):
    """A Chinese seller we buy from. Merchants see its products only once it is approved."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNDER_REVIEW = "under_review", _("Under review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")

    # The vetting workflow; `catalog.services.supplier_transition` moves along it.
    TRANSITIONS = {
        Status.APPLIED: frozenset({Status.UNDER_REVIEW}),
        Status.UNDER_REVIEW: frozenset({Status.APPROVED, Status.REJECTED}),
        Status.APPROVED: frozenset({Status.SUSPENDED}),
        Status.SUSPENDED: frozenset({Status.APPROVED}),
        Status.REJECTED: frozenset(),
    }

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    member_id = models.CharField(
        _("1688 member or shop id"), max_length=64, blank=True, db_index=True
    )
    shop_url = models.URLField(_("shop URL"), max_length=500, blank=True)
    province = models.CharField(
        _("province"), max_length=20, choices=Province.choices, default=Province.OTHER
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    licence_number = models.CharField(_("business licence number"), max_length=64, blank=True)
    licence_file = models.FileField(
        _("business licence"),
        upload_to=GeneratedName("catalog/licences"),
        validators=[UploadCheck(LICENCE_EXTENSIONS, LICENCE_MAX_BYTES)],
        blank=True,
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    # Where supplier payouts go (copied into each payable when a purchase order is placed).
    payee_name = models.CharField(
        _("payee name"),
        max_length=200,
        blank=True,
        help_text=_("The account holder's name at the bank; the Chinese name when empty."),
    )
    bank_account = models.CharField(_("bank account number"), max_length=40, blank=True)
    bank_name = models.CharField(
        _("bank"),
        max_length=200,
        blank=True,
        help_text=_("Bank and branch, e.g. 中国工商银行杭州分行"),
    )
    status = models.CharField(
        _("vetting status"),
        max_length=16,
        choices=Status.choices,
        default=Status.APPLIED,
        editable=False,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, editable=False)
    # Cached from the scorecard by `supplier_scorecard_refresh` so search can filter on it.
    rating = models.DecimalField(
        _("rating"), max_digits=3, decimal_places=2, null=True, editable=False, db_index=True
    )

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name_en", "name_zh", "pk"]
        permissions = [("vet_supplier", _("Can approve, reject and suspend suppliers"))]
        constraints = [
            models.UniqueConstraint(
                fields=["member_id"], condition=~Q(member_id=""), name="supplier_unique_member_id"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=0, rating__lte=5),
                name="supplier_rating_0_to_5",
            ),
        ]
        indexes = [models.Index(fields=["updated_at"], name="supplier_updated")]

    def __str__(self) -> str:
        return self.name_en or self.name_zh

    @property
    def display_name(self) -> str:
        return self.name_en or self.name_zh


class SupplierEvent(StatusEvent):
    """One vetting change: who, when, from, to and why. The supplier's timeline."""

    subject = "supplier"

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(_("from"), max_length=16, choices=Supplier.Status.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=Supplier.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("supplier event")
        verbose_name_plural = _("supplier events")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.supplier}: {self.from_status} → {self.to_status}"


class SupplierPerformance(models.Model):
    """What one purchase order told us about a supplier. Fed by later apps by an opaque
    reference ("po:123"); the scorecard is computed from these rows, never typed in."""

    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("supplier"),
        on_delete=models.CASCADE,
        related_name="performance",
    )
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    placed_at = models.DateTimeField(_("placed"))
    dispatched_on_time = models.BooleanField(_("dispatched on time"), null=True)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    units_inspected = models.PositiveIntegerField(_("units inspected"), default=0)
    units_defective = models.PositiveIntegerField(_("units defective"), default=0)
    response_minutes = models.PositiveIntegerField(_("response time (minutes)"), null=True)

    class Meta:
        verbose_name = _("supplier performance record")
        verbose_name_plural = _("supplier performance records")
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(units_defective__lte=models.F("units_inspected")),
                name="supplierperformance_defective_within_inspected",
            ),
        ]

    def __str__(self) -> str:
        return self.reference
