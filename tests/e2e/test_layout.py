"""No horizontal overflow: every merchant page and the main staff pages, at a phone's width
(390 px) and two desktop widths (1280, 1440), in English and Simplified Chinese.

On each page: the document is no wider than the viewport (a table too wide for a phone
scrolls inside its own container or stacks into cards), no table cell is narrower than its
content needs (no word broken across lines, no value one character a line), and no quantity
box collapses. A screenshot of each page is written to the artifacts directory, printed at
the start (LAYOUT_SCREENSHOTS, else var/screenshots/layout/). A page taller than
SHOT_MAX_HEIGHT is shot down to that height: Chromium refuses to capture one bitmap much
taller than that ("Unable to capture screenshot"), and a screenshot is evidence, not the test.
The same refusal comes once in a while on a busy machine, so a failed shot is taken again once.

One test per language, so that the browser pass in two processes runs them side by side; one
browser per test, one tab per width and person, reused for every page.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.a11y import build_portal, language_cookie, session_cookie
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_accessibility import ANONYMOUS_PAGES, MERCHANT_PAGES, STAFF_PAGES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTHS = [390, 1280, 1440]
LANGUAGES = ["en", "zh-hans"]
HEIGHT = 900
# A quantity box narrower than this cannot show four digits.
MIN_INPUT_PX = 56
# Below Chromium's largest texture (16,384 px), with room for a device scale above 1.
SHOT_MAX_HEIGHT = 8000

# What the page measures: the overflow of the document, cells whose content does not fit
# (wider than the cell, or a word broken over lines), and collapsed number inputs.
MEASURE = r"""() => {
    const viewport = document.documentElement.clientWidth;
    const problems = [];
    const overflow = document.documentElement.scrollWidth - viewport;
    if (overflow > 1) {
        let widest = null;
        for (const el of document.body.querySelectorAll("*")) {
            const r = el.getBoundingClientRect();
            if (r.right > viewport + 1 && r.width > 0 && el.offsetParent !== null) {
                let inScroller = false;
                for (let p = el.parentElement; p; p = p.parentElement) {
                    const s = getComputedStyle(p);
                    if (["auto", "scroll", "hidden"].includes(s.overflowX)) {
                        inScroller = true; break;
                    }
                }
                if (!inScroller && (!widest || r.right > widest.right)) {
                    widest = {right: Math.round(r.right), what: describe(el)};
                }
            }
        }
        problems.push(`document ${viewport + overflow}px wide in ${viewport}px` +
            (widest ? ` (widest: ${widest.what} to ${widest.right}px)` : ""));
    }
    function describe(el) {
        let s = el.tagName.toLowerCase();
        if (el.id) s += "#" + el.id;
        if (el.classList.length) s += "." + [...el.classList].slice(0, 2).join(".");
        const text = (el.innerText || "").trim().replace(/\s+/g, " ").slice(0, 40);
        return text ? `${s} "${text}"` : s;
    }
    // The lines a piece of text takes: its rectangles grouped by their vertical middle.
    function linesOf(range) {
        const middles = [];
        for (const r of range.getClientRects()) {
            if (r.width < 1) continue;
            const middle = (r.top + r.bottom) / 2;
            if (!middles.some((m) => Math.abs(m - middle) < r.height / 2)) middles.push(middle);
        }
        return middles.length;
    }
    const CJK = /[\u3400-\u9fff]/;
    for (const cell of document.querySelectorAll("main td, main th")) {
        if (cell.offsetParent === null) continue;
        if (cell.scrollWidth > cell.clientWidth + 1) {
            problems.push(`cell narrower than its content: ${describe(cell)}`);
            continue;
        }
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        let broken = null;
        while (!broken && walker.nextNode()) {
            const node = walker.currentNode;
            const parent = node.parentElement;
            if (!parent || parent.closest(".visually-hidden")) continue;
            if (parent.offsetParent === null) continue;
            // Words, each hyphenated part on its own: a break after a hyphen is a line break.
            for (const match of node.data.matchAll(/[^\s-]+-?/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = linesOf(range);
                const word = match[0];
                if (lines < 2) continue;
                if (!CJK.test(word)) {
                    broken = `cell breaks "${word}" over ${lines} lines`;
                } else if (word.length / lines < 2) {
                    broken = `cell shows "${word}" one character a line`;
                }
                if (broken) break;
            }
        }
        if (broken) problems.push(`${broken}: ${describe(cell)}`);
    }
    for (const input of document.querySelectorAll("main input[type=number]")) {
        if (input.offsetParent === null) continue;
        const wide = Math.round(input.getBoundingClientRect().width);
        if (wide < %(min_input)d) {
            problems.push(`quantity box ${wide}px wide: ${describe(input)}`);
        }
    }
    return problems;
}""" % {"min_input": MIN_INPUT_PX}  # noqa: UP031  (the script's own braces)


def shoot(tab, path: Path) -> None:
    """The page, whole, or its top SHOT_MAX_HEIGHT pixels when it is taller."""
    width, height = tab.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    clip = None
    if height > SHOT_MAX_HEIGHT:
        clip = {"x": 0, "y": 0, "width": width, "height": SHOT_MAX_HEIGHT}
    try:
        tab.screenshot(path=path, full_page=True, clip=clip, animations="disabled")
    except PlaywrightError:
        # A loaded machine can miss the compositor's frame once; a second miss is real.
        tab.wait_for_timeout(500)
        tab.screenshot(path=path, full_page=True, clip=clip, animations="disabled")


def screenshots_dir() -> Path:
    default = Path(settings.BASE_DIR) / "var" / "screenshots" / "layout"
    path = Path(os.environ.get("LAYOUT_SCREENSHOTS", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_overflows_at_phone_and_desktop_widths(browser, live_server, language):
    portal = build_portal()
    artifacts = screenshots_dir()
    print(f"\nLayout screenshots: {artifacts}")
    people = {"anonymous": None, "merchant": portal.owner, "staff": portal.staff}
    pages = [
        *[("anonymous", name, url) for name, url in ANONYMOUS_PAGES.items()],
        *[("merchant", name, portal.urls[name]) for name in MERCHANT_PAGES],
        *[("staff", name, portal.urls[name]) for name in STAFF_PAGES],
    ]
    sessions = {who: session_cookie(user, live_server.url) for who, user in people.items() if user}

    problems: list[str] = []
    for width in WIDTHS:
        tabs = {}
        for who in people:
            context = browser.new_context(
                base_url=live_server.url,
                locale="en-US",
                viewport={"width": width, "height": HEIGHT},
            )
            context.set_default_timeout(TIMEOUT_MS)
            cookies = [language_cookie(language, live_server.url)]
            if who in sessions:
                cookies.append(sessions[who])
            context.add_cookies(cookies)
            tabs[who] = (context, context.new_page())
        try:
            for who, name, url in pages:
                tab = tabs[who][1]
                response = tab.goto(url)
                assert response is not None
                assert response.status == 200, f"{url} answered {response.status}"
                shoot(tab, artifacts / f"{name}-{language}-{width}.png")
                problems += [
                    f"{name} [{language}, {width}px] {url}: {problem}"
                    for problem in tab.evaluate(MEASURE)
                ]
        finally:
            for context, _tab in tabs.values():
                context.close()

    assert not problems, "\n".join(problems)
