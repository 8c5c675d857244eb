"""Column shapes shared by the models of this package."""

CNY = {"max_digits": 14, "decimal_places": 2}
