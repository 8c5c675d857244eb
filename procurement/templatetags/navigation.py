"""Small helpers for page navigation in templates, and the site navbar."""

from typing import NamedTuple

from django import template
from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag
def crumbs(*labels_and_urls):
    """(label, url) pairs for partials/breadcrumbs.html.

    `{% crumbs _("Home") home_url _("Members") "" as crumbs %}`: arguments alternate label and
    url; the last pair is the current page (its url may be empty).
    """
    if len(labels_and_urls) % 2:
        raise template.TemplateSyntaxError("crumbs takes label, url pairs")
    items = list(labels_and_urls)
    return list(zip(items[::2], items[1::2], strict=True))


class _Company(NamedTuple):
    pk: int
    name: str
    uses_sourcing: bool


# How long a kept navbar or footer lives. Their keys hold every value they show, so this only
# bounds how long an unused copy takes memory.
KEPT_SECONDS = 3600


def _navbar_values(context) -> dict:
    """Everything the navbar shows, as plain values: the navbar is a function of these alone."""
    request = context.get("request")
    user = getattr(request, "user", None) if request is not None else context.get("user")
    match = getattr(request, "resolver_match", None)
    values = {
        "view_name": match.view_name if match else "",
        "language": get_language(),
        "authenticated": bool(user and user.is_authenticated),
    }
    if not values["authenticated"]:
        return values
    company = context.get("current_company")
    membership = context.get("current_membership")
    show_cart = bool(context.get("show_cart"))
    values.update(
        {
            "user_name": user.get_short_name(),
            "email": user.email,
            "is_staff": user.is_staff,
            "can_view_finance": user.is_staff and user.has_perm("payments.view_finance_reports"),
            "company": _Company(company.pk, company.legal_name, company.uses_sourcing)
            if company
            else None,
            "role": membership.get_role_display() if membership else "",
            "can_view_wallet": bool((context.get("can") or {}).get("view_wallet")),
            "memberships": tuple(
                _Company(m.company.pk, m.company.legal_name, m.company.uses_sourcing)
                for m in context.get("my_memberships") or ()
            ),
            "show_cart": show_cart,
            # cart_count is lazy (a query): + 0 evaluates it.
            "cart_count": context.get("cart_count") + 0 if show_cart else None,
        }
    )
    return values


@register.simple_tag(takes_context=True)
def navbar(context) -> dict:
    """What base.html renders the navbar from, through Django's {% cache %}:

    - `shown`: every value partials/navbar.html shows, and the only thing it sees (it is
      included with `only`). The rendered navbar is kept under all of them (`str()` of the
      dict, which quotes each value, so no two different sets of values share a key): a page
      whose navbar shows the same values reuses it, about 1 ms saved, and a change to any of
      them (a renamed company, a new role, a cart line) shows at once.
    - `seconds`: how long a kept navbar (and footer) lives; 0 with DEBUG on, so an edited
      template shows at once.

    The CSRF token and the current path differ per request: base.html renders them outside
    the kept fragment.
    """
    return {
        "shown": _navbar_values(context),
        "seconds": 0 if settings.DEBUG else KEPT_SECONDS,
    }


@receiver(setting_changed)
def _forget_kept_fragments(**kwargs) -> None:
    """Tests that change settings (languages, URLs, templates) must not see navbars kept before."""
    if "template_fragments" in settings.CACHES:
        caches["template_fragments"].clear()
