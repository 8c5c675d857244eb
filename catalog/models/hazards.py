"""Which 1688 categories carry which hazards: the rules an import applies to a new product."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from procurement.core.hazards import HazardListField
from procurement.core.models import TimeStampedModel


class HazardRule(TimeStampedModel):
    """Products imported from a matching 1688 category get these hazards (staff can change them
    on the product afterwards). A rule matches by 1688 category id, or by a word in the
    category's Chinese name (移动电源, 蓝牙耳机): 1688's tree has tens of thousands of leaves and
    their ids are not published as a list, while their names are stable and telling."""

    source_category_id = models.CharField(
        _("1688 category id"), max_length=20, blank=True, db_index=True
    )
    name_contains = models.CharField(
        _("category name contains"),
        max_length=40,
        blank=True,
        help_text=_("Chinese, as 1688 names its categories (for example 移动电源)."),
    )
    hazards = HazardListField(_("hazards"))
    note = models.CharField(_("why"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("1688 category hazard rule")
        verbose_name_plural = _("1688 category hazard rules")
        ordering = ["name_contains", "source_category_id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source_category_id="", name_contains=""),
                name="hazardrule_matches_something",
                violation_error_message=_("Give a 1688 category id or a word of its name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name_contains or self.source_category_id

    def clean(self):
        if not self.hazards:
            raise ValidationError({"hazards": _("Tick at least one hazard.")})

    def matches(self, *, category_id: str, category_name: str) -> bool:
        if self.source_category_id and self.source_category_id == category_id:
            return True
        return bool(self.name_contains) and self.name_contains in (category_name or "")
