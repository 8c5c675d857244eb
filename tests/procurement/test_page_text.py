"""Every page each role is shown, rendered with demo-like data, reads as a person reads:
no exponent ("7E+1 kg"), no Decimal with more than six decimals, no internal reference
("order:1", "po:2", "supplier:3"); and no link shown to a role answers an error."""

from collections import deque

import pytest
from django.test import Client
from django.utils import translation

from tests.procurement.portal import (
    OTHER_CURRENCIES,
    ROLES,
    build_portal,
    problems,
    read,
    same_site_path,
)

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "zh-hans"]
MAX_PAGES = 200


def _crawl(client: Client, starts: list[str]) -> dict[str, list[str]]:
    """Every same-site page reachable by links from `starts`; page -> what is wrong on it."""
    seen, queue, found = set(starts), deque(starts), {}
    linked_from = dict.fromkeys(starts, "")
    while queue and len(seen) <= MAX_PAGES:
        path = queue.popleft()
        response = client.get(path, follow=True)
        wrong = []
        if response.status_code >= 400:
            wrong.append(f"answered {response.status_code} (linked from {linked_from[path]})")
        if response.redirect_chain and "/accounts/login/" in response.redirect_chain[-1][0]:
            wrong.append(f"sent to {response.redirect_chain[-1][0]}")
        content_type = response.get("Content-Type", "")
        if "text/html" in content_type:
            text, links = read(response.content.decode())
            wrong += problems(text)
            for href in links:
                target = same_site_path(href)
                if target and target not in seen:
                    seen.add(target)
                    linked_from[target] = path
                    queue.append(target)
        if wrong:
            found[path] = wrong
    return found


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}: {wrong}" for page, wrongs in found.items() for wrong in wrongs)


@pytest.fixture(autouse=True)
def _language_reset():
    """The pages in Chinese leave Chinese active in this thread: later tests start in English."""
    yield
    translation.deactivate()


@pytest.fixture
def portal():
    return build_portal()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", [*ROLES, *OTHER_CURRENCIES])
def test_merchant_pages_read_as_a_person_reads(portal, role, language):
    client = Client(headers={"accept-language": language})
    client.force_login(portal.people[role])
    client.cookies["django_language"] = language

    found = _crawl(client, ["/dashboard/"])

    assert not found, "\n".join(
        f"{page}: {wrong}" for page, wrongs in found.items() for wrong in wrongs
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_finance_pages_read_as_a_person_reads(portal, language):
    client = Client(headers={"accept-language": language})
    client.force_login(portal.finance)
    client.cookies["django_language"] = language

    found = _crawl(client, ["/finance/"])

    assert not found, "\n".join(
        f"{page}: {wrong}" for page, wrongs in found.items() for wrong in wrongs
    )
