"""No link leads to an error: signed in as each of the five roles, Chromium follows every
same-site link the pages show (breadth first, from the dashboard) and fails on any page that
answers 4xx/5xx or logs an error to the console (a failed resource, a script error, a CSP
violation)."""

from collections import deque

import pytest

from procurement.accounts.models import Role
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.helpers import clear_cache, log_in
from tests.procurement.portal import ROLES, build_portal, same_site_path

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MAX_PAGES = 150
# Links to files (`type="application/pdf"`) are not pages: the PDF tests read them back.
LINKS_SCRIPT = "() => Array.from(document.querySelectorAll('a[href]:not([type])'), a => a.href)"


def _crawl(page, start: str) -> tuple[int, list[str]]:
    """(pages visited, what went wrong), following links from `start`."""
    problems: list[str] = []
    current = {"path": start}
    page.on(
        "console",
        lambda message: (
            problems.append(f"{current['path']}: console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{current['path']}: script error {error}"))
    seen, queue, linked_from = {start}, deque([start]), {start: ""}
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.popleft()
        current["path"] = path
        response = page.goto(path)
        visited += 1
        status = response.status if response is not None else 0
        if status >= 400 or status == 0:
            problems.append(f"{path}: answered {status} (linked from {linked_from[path]})")
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        for href in page.evaluate(LINKS_SCRIPT):
            target = same_site_path(href)
            if target and target not in seen:
                seen.add(target)
                linked_from[target] = path
                queue.append(target)
    return visited, problems


@pytest.mark.parametrize("role", ROLES)
def test_every_link_a_role_is_shown_leads_somewhere(browser, live_server, role):
    clear_cache()
    portal = build_portal()
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        log_in(page, portal.people[role])
        visited, problems = _crawl(page, "/dashboard/")
    finally:
        context.close()

    assert visited > 10 if role == Role.OWNER else visited > 5
    assert not problems, "\n".join(problems)
