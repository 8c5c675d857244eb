from django.utils.translation import gettext_lazy as _

from procurement.core.exceptions import DomainError


class LogisticsError(DomainError):
    """A refusal a person should read; the message is safe to show."""

    default_message = _("That could not be done.")


class ChannelUnavailable(LogisticsError):
    default_message = _("This channel cannot carry the parcel.")


class StockUnavailable(LogisticsError):
    default_message = _("Some of the chosen items are no longer in stock.")


class PhotoRejected(LogisticsError):
    default_message = _("The photo could not be used.")


class WebhookRejected(LogisticsError):
    """A tracking push that is refused; `status` is the HTTP status to answer with."""

    default_message = _("The tracking event was refused.")
    status = 400


class DeclarationIncomplete(LogisticsError):
    """The parcel cannot be packed: its declaration lacks what customs need. `problems` names
    each line at fault."""

    code = "declaration_incomplete"
    default_message = _("The customs declaration is incomplete.")

    def __init__(self, *, problems: list[str]):
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))


class DeclarationRefused(LogisticsError):
    """Corrections to a declaration were refused, nothing saved. `errors` maps each refused
    line's id to its fields' messages, each message naming the line."""

    code = "declaration_refused"
    default_message = _("The declaration was not changed.")

    def __init__(self, *, errors: dict[int, dict[str, list[str]]]):
        self.errors = errors
        super().__init__(
            " ".join(
                text for fields in errors.values() for texts in fields.values() for text in texts
            )
        )


class DocumentFailed(LogisticsError):
    """A PDF could not be rendered; the parcel stays as it was."""

    code = "document_failed"
    default_message = _("The document could not be rendered.")
