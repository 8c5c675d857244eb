from django.db import models


class Product(models.Model):
    """The columns of the portal's product table that the bare page shows; the table is the
    portal's, so this model neither creates nor migrates it."""

    title_en = models.CharField(max_length=255)
    min_price_cny = models.DecimalField(max_digits=12, decimal_places=2, null=True)

    class Meta:
        managed = False
        db_table = "catalog_product"

    def __str__(self) -> str:
        return self.title_en
