"""What the fake 1688 holds, in the database so that every process sees it."""

from django.db import models


class FakeRecord(models.Model):
    """One thing the fake platform knows: an access token it issued, an offer's price and stock,
    an offer's product response, an order, the failures it was told to play, its settings.
    ``data`` is that thing as JSON."""

    class Kind(models.TextChoices):
        TOKEN = "token"  # noqa: S105
        OFFER = "offer"
        PRODUCT = "product"
        ORDER = "order"
        FAILURES = "failures"
        SETTINGS = "settings"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=200)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="fake1688_record_kind_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class FakeCall(models.Model):
    """A call the fake received (its own test credentials only, never a real secret)."""

    api = models.CharField(max_length=100)
    fields = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.api
