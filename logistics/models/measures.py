"""Decimal field shapes shared by the logistics models."""

from decimal import Decimal

from django.core.validators import MinValueValidator

KG = {"max_digits": 10, "decimal_places": 3}
CM = {"max_digits": 8, "decimal_places": 1}
CNY = {"max_digits": 14, "decimal_places": 2}
POSITIVE = [MinValueValidator(Decimal("0.001"))]
