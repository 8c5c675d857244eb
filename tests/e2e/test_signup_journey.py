"""A visitor becomes a merchant: signs up, verifies the email, creates a company, sees the
dashboard. Driven through the pages a person uses, found by their roles and labels."""

import re

import pytest
from playwright.sync_api import expect

from procurement.accounts.models import Company, Role

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data. Serialized rollback restores what the migrations
    # seeded (content types, staff groups) after the flush, for the transactional tests after it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EMAIL = "mei@harbour-goods.example"
PASSWORD = "a-long-and-unusual-passphrase-2026"
COMPANY = "Harbour Goods Pty Ltd"


def confirmation_link(mailoutbox, email: str) -> str:
    messages = [message for message in mailoutbox if email in message.to]
    assert messages, f"no mail was sent to {email}"
    found = re.search(r"https?://\S+/accounts/confirm-email/\S+/", messages[-1].body)
    assert found, messages[-1].body
    return found.group(0)


def test_visitor_signs_up_verifies_and_creates_a_company(page, live_server, mailoutbox):
    page.goto("/")
    page.get_by_role("link", name=re.compile(r"^sign up$", re.IGNORECASE)).first.click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/"))
    page.get_by_label("Your name").fill("Mei Chen")
    page.get_by_label("Email", exact=False).first.fill(EMAIL)
    page.get_by_label(re.compile(r"^password$", re.IGNORECASE)).fill(PASSWORD)
    page.get_by_label(re.compile(r"password \(again\)", re.IGNORECASE)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"sign up", re.IGNORECASE)).click()

    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    page.goto(confirmation_link(mailoutbox, EMAIL))
    page.get_by_role("button", name=re.compile(r"confirm", re.IGNORECASE)).click()

    # Signed in by the confirmation and, having no company yet, led to create one.
    expect(page).to_have_url(re.compile(r"/company/new/$"))
    page.get_by_label("Legal name").fill(COMPANY)
    page.get_by_label("Country").select_option("AU")
    # The currency follows the country: the field names it once the country is chosen.
    expect(page.get_by_label("Wallet currency")).to_contain_text("(AUD)")
    expect(page.get_by_label("Sourcing and purchasing")).to_be_checked()
    page.get_by_label("Logistics forwarding").check()
    page.get_by_role("button", name=re.compile(r"create", re.IGNORECASE)).click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("main")).to_contain_text(COMPANY)
    expect(page.locator("#user-menu-button")).to_contain_text("Mei")
    company = Company.objects.get(legal_name=COMPANY)
    assert (company.country.code, company.wallet_currency) == ("AU", "AUD")
    assert company.uses_sourcing
    assert company.uses_forwarding
    assert company.memberships.get().user.email == EMAIL
    assert company.memberships.get().role == Role.OWNER
