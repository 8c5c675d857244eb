"""Small helpers for page navigation in templates, and the site navbar."""

import contextlib
import secrets
from collections import OrderedDict
from typing import NamedTuple

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
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


# Stand-ins rendered into a kept navbar, replaced with this request's values on the way out;
# random per process, so no name or path a person types can contain one.
_CSRF_TOKEN = f"csrf{secrets.token_hex(16)}"
_NEXT_PATH = f"next{secrets.token_hex(16)}"
# Least recently used first; about 8 KB a navbar.
_KEPT: OrderedDict[tuple, str] = OrderedDict()
_KEPT_MAX = 2048


@receiver(setting_changed)
def _forget_kept(**kwargs) -> None:
    """Tests that change settings (languages, templates) must not see navbars kept before."""
    _KEPT.clear()


def _navbar_values(context) -> dict:
    """Everything the navbar shows, as plain values: the navbar is a function of these alone."""
    request = context.get("request")
    user = getattr(request, "user", None) if request is not None else context.get("user")
    match = getattr(request, "resolver_match", None)
    values = {
        "view_name": match.view_name if match else "",
        "LANGUAGE_CODE": get_language(),
        "authenticated": bool(user and user.is_authenticated),
        "csrf_token": _CSRF_TOKEN,
        "next_path": _NEXT_PATH,
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


def _kept(template_name: str, values: dict) -> str:
    """`template_name` rendered from `values` alone, kept per process under them (not with
    DEBUG on, so an edited template shows at once)."""
    if settings.DEBUG:
        return render_to_string(template_name, values)
    key = (template_name, *values.items())
    html = _KEPT.get(key)
    if html is None:
        html = render_to_string(template_name, values)
        _KEPT[key] = html
    # Another thread may have dropped or moved entries meanwhile: either way is fine.
    with contextlib.suppress(KeyError):
        _KEPT.move_to_end(key)
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
    return html


@register.simple_tag
def footer():
    """The site footer (partials/footer.html): the same for every page in a language and year."""
    values = {"year": str(timezone.localdate().year), "language": get_language()}
    html = _kept("partials/footer.html", values)
    # Our own template's output.
    return mark_safe(html)  # noqa: S308  # nosec B308 B703


@register.simple_tag(takes_context=True)
def navbar(context):
    """The site navbar (partials/navbar.html) for this request.

    Rendered from `_navbar_values()` alone and kept per process under those values, so a
    signed-in page reuses it as long as nothing it shows has changed: about 3 ms a page saved.
    The CSRF token and the current path differ per request and are put in afterwards.
    """
    values = _navbar_values(context)
    html = _kept("partials/navbar.html", values)
    request = context.get("request")
    # The page's own token (the body's hx-headers has already masked one): masking costs.
    token = str(context.get("csrf_token") or "") if request is not None else ""
    if token == "NOTPROVIDED":  # noqa: S105 - as {% csrf_token %}: no CSRF middleware, no token
        token = ""
    next_path = escape(request.get_full_path()) if request is not None else ""
    # Our own template's output; the two values put in are a token and an escaped path.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        html.replace(_CSRF_TOKEN, token).replace(_NEXT_PATH, next_path)
    )
