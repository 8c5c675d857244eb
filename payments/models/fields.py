"""Column shapes shared by the payments models."""

AMOUNT = {"max_digits": 20, "decimal_places": 4}
RATE = {"max_digits": 20, "decimal_places": 10}
