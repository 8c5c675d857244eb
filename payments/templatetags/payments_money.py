"""The former name of the `numbers` library, kept so templates that still load it render the
same filters (one implementation: payments/templatetags/numbers.py). Load `numbers`."""

from payments.templatetags.numbers import register

__all__ = ["register"]
