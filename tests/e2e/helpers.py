"""Shared set-up for the browser journeys: people made with the factories, and signing in
through the real login form (and the two-factor step for staff) as a person would."""

import re
import time
from contextlib import contextmanager

from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.models import Group
from django.core.cache import caches
from playwright.sync_api import Page, expect

from procurement.accounts.models import Role
from procurement.core.caching import DEFAULT, PAGES, SESSIONS
from tests.accounts.factories import PASSWORD, MembershipFactory, UserFactory
from tests.e2e.conftest import TIMEOUT_MS

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def clear_cache() -> None:
    """Every journey runs in one process with the live server: its caches (display rates,
    sandbox carrier timelines, rate limits, sessions) would otherwise carry over from the test
    before."""
    for alias in (DEFAULT, PAGES, SESSIONS):
        caches[alias].clear()


def merchant(role=Role.OWNER, **company_fields):
    """A verified user holding `role` in a new company; returns (user, company)."""
    fields = {"legal_name": "Harbour Goods Ltd", **company_fields}
    membership = MembershipFactory(
        role=role, **{f"company__{key}": value for key, value in fields.items()}
    )
    return membership.user, membership.company


def staff_member(group_name: str):
    """A verified staff user in `group_name`, with the TOTP authenticator the admin requires."""
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    TOTP.activate(user, TOTP_SECRET)
    return user


def log_in(page: Page, user, password: str = PASSWORD) -> None:
    """Fill the login form; merchants land on their dashboard."""
    page.goto("/accounts/login/")
    submit_credentials(page, user.email, password)
    if not is_mfa_enabled(user):
        expect(page).to_have_url(re.compile(r"/dashboard/$"))


def submit_credentials(page: Page, email: str, password: str = PASSWORD) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def current_totp_code(secret: str = TOTP_SECRET, period: int = 30) -> str:
    """The authenticator app's code. The site accepts only the current 30-second step
    (MFA_TOTP_TOLERANCE 0), so a code about to expire is not typed: wait for the next one."""
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def log_in_to_admin(page: Page, user, password: str = PASSWORD) -> None:
    """The admin sends staff through the site's login form, then the two-factor step."""
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    submit_credentials(page, user.email, password)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.get_by_label(re.compile(r"code", re.IGNORECASE)).fill(current_totp_code())
    page.get_by_role("button", name=re.compile(r"sign in", re.IGNORECASE)).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


@contextmanager
def second_person(browser, base_url: str):
    """A tab with its own cookies (another person) on the same live server; like the `page`
    fixture's tab, a Content Security Policy violation fails the test."""
    context = browser.new_context(base_url=base_url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    violations: list[str] = []
    tab.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield tab
    finally:
        context.close()
    assert not violations, f"the browser reported CSP violations: {violations}"
