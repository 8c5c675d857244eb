"""A merchant tops up the company wallet through the sandbox gateway's hosted page and sees the
money: the new balance and the line on the statement."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import clear_cache, log_in, merchant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_merchant_tops_up_through_the_sandbox_gateway(page):
    clear_cache()
    user, company = merchant(wallet_currency="USD")

    log_in(page, user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Wallet").click()
    expect(page.get_by_role("heading", name="Wallet", level=1)).to_be_visible()
    balances = page.get_by_role("region", name="Balances")
    expect(balances).to_contain_text("0.00")

    page.get_by_label("Amount (USD)").fill("250")
    page.get_by_role("button", name="Continue to payment").click()

    # The gateway's hosted page, where the payer confirms.
    expect(page).to_have_url(re.compile(r"/wallet/sandbox/pay/[^/]+/$"))
    expect(page.get_by_role("heading", name="Sandbox payment gateway")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"Pay 250.00 USD into the wallet of {company}")
    page.get_by_role("button", name="Pay", exact=True).click()

    # Back on our side once the gateway's (signed) notification is recorded.
    expect(page.get_by_role("status")).to_contain_text("The money is in your wallet.")
    expect(page.get_by_role("definition").filter(has_text="Succeeded")).to_be_visible()
    page.get_by_role("link", name="See your balance").click()

    expect(page).to_have_url(re.compile(r"/wallet/$"))
    expect(balances.get_by_role("definition")).to_have_text("250.00")
    recent = page.get_by_role("region", name="Recent activity")
    expect(recent.get_by_role("row").nth(1)).to_contain_text("Top-up via sandbox")
    expect(recent.get_by_role("row").nth(1)).to_contain_text("+250.00 USD")

    page.get_by_role("link", name="Statement", exact=True).click()
    expect(page.get_by_role("heading", name="Wallet statement", level=1)).to_be_visible()
    line = page.get_by_role("row").filter(has_text="Top-up via sandbox")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("+250.00 USD")
    expect(line.get_by_role("cell").last).to_have_text("250.00 USD")
