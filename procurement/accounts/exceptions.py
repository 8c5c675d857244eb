from django.utils.translation import gettext_lazy as _

from procurement.core.exceptions import DomainError


class AccountsError(DomainError):
    """A refusal a person should read; the message is safe to show."""

    default_message = _("That could not be done.")


class InvitationInvalid(AccountsError):
    default_message = _("This invitation is not valid.")


class InvitationExpired(InvitationInvalid):
    default_message = _("This invitation has expired. Ask the company owner to send a new one.")


class InvitationUsed(InvitationInvalid):
    default_message = _("This invitation has already been used.")


class InvitationWrongUser(InvitationInvalid):
    default_message = _(
        "This invitation was sent to another email address. Sign in with that address to accept it."
    )


class LastOwner(AccountsError):
    default_message = _("A company must keep at least one owner.")


class AlreadyMember(AccountsError):
    default_message = _("This person is already a member of the company.")
