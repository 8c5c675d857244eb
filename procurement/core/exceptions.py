"""The one base of every refusal the portal's services raise.

A `DomainError` carries a stable `code` (for API clients and logs), a `message` a person can read
(translated, safe to show), the HTTP `status` the API answers with and, where one input is at
fault, its `field`. Every app's exceptions derive
from it, so the API has one handler and the views one way to show a refusal.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refusal a person should read; nothing was written when it is raised."""

    code: str = "refused"
    status: int = 422
    field: str | None = None
    default_message = _("That could not be done.")

    def __init__(
        self,
        message=None,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
    ):
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if field is not None:
            self.field = field
        super().__init__(str(self.message))


class InvalidTransition(DomainError):
    """The object's status does not allow that change now (its table says no)."""

    code = "invalid_transition"
    default_message = _("That change of status is not allowed now.")
