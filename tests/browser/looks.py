"""Each page type loaded once per language and visitor, for every test that only looks.

The axe test (1280 px), the keyboard test (Swedish, 1280 px), the reflow test (320 and 375
px) and the embed pages' axe test ask for the same loaded pages: :class:`Looks` loads a page
type once per language and per visitor or curator, in one tab, runs axe-core on it at 1280
px (where the axe test wants it), then tabs through it from the top as the keyboard test
wants (recording where each Tab took focus, from the top of the page with nothing
focused), then narrows the window to 320 and 375 px and records what overflows at each width.
The tests assert on those records, each as before; a load that fails (wrong status, wrong
``<html lang>``, a ``before`` step that does not get there) fails every test of that load.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.live import LiveLinkdir
from tests.browser.pages import BEFORE, EMBED_PAGES, PAGES, PageType

if TYPE_CHECKING:
    from playwright.sync_api import Page

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (320, 375)

# Form fields scroll their own text by design; visually hidden text (``clip``, as in
# .visually-hidden and the stacked tables' column headers) is clipped on purpose.
OVERFLOWING = """() => {
  const clipped = el => {
    for (let e = el; e; e = e.parentElement) {
      if (getComputedStyle(e).clip !== 'auto') return true;
    }
    return false;
  };
  const width = window.innerWidth;
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > width) found.push(`the page is ${root.scrollWidth} px wide`);
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.visually-hidden, .skip-link, input, textarea, select, svg')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const what = `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}: `
      + (el.textContent || '').trim().slice(0, 60);
    const box = el.getBoundingClientRect();
    const out = box.right > width + 1 || box.left < -1;
    const spills = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
    if ((out || spills) && clipped(el)) continue;
    if (out) {
      found.push(`${what} (box ${Math.round(box.left)}..${Math.round(box.right)} px)`);
    } else if (spills) {
      found.push(`${what} (content ${el.scrollWidth} px in ${el.clientWidth} px)`);
    }
  }
  return found;
}"""

PUBLIC = [p for p in PAGES if not p.curator]
# Reflow: public pages once as a visitor and once signed in (curators see more on some of
# them); a signed-in curator is sent on from the sign-in page, so it is visited signed out
# only.
VISITS: list[tuple[PageType, bool]] = [(p, False) for p in [*PUBLIC, *EMBED_PAGES]] + [
    (p, True) for p in PAGES if not p.path.startswith("/login")
]
# Keyboard: every page type as the visitor it is for, in Swedish.
KEY_VISITS: set[tuple[PageType, bool]] = {(p, p.curator) for p in PAGES}
# axe: every page type as the visitor it is for, and the embedded lists.
AXE_VISITS: list[tuple[PageType, bool]] = [(p, p.curator) for p in PAGES] + [
    (p, False) for p in EMBED_PAGES
]


# Only the violations come back: the rest of axe's results (the passes, inapplicable and
# incomplete rules, each with its descriptions) was serialized over the DevTools protocol
# into Python for nothing, about a fifth of a run's CPU.
AXE_RUN = (
    "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
    " resultTypes: ['violations']}).then(results => results.violations)"
)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Violations of WCAG 2.0/2.1 A and AA rules on the page as it is now."""
    return list(page.evaluate(AXE_RUN, WCAG_TAGS))


# Numbers every element Tab should reach, in document order (radio groups count once).
MARK_TABBABLE = """() => {
  const selector = 'a[href], area[href], button, input, select, textarea, summary, iframe,'
    + ' [tabindex], [contenteditable="true"], [contenteditable=""]';
  const seenRadio = new Set();
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.tabIndex < 0 || (el.type === 'hidden')) continue;
    if (el.closest('[inert]')) continue;
    // Inside a closed <details> only its own summary is a stop (Chromium still gives the
    // hidden content client rects).
    const shut = el.closest('details:not([open])');
    if (shut && !(el.tagName === 'SUMMARY' && el.parentElement === shut)) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || !el.getClientRects().length) continue;
    if (el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS') continue;
    if (el.type === 'radio') {
      if (seenRadio.has(el.name)) continue;
      seenRadio.add(el.name);
    }
    el.dataset.kbd = String(found.length);
    found.push(el.outerHTML.slice(0, 120));
  }
  return found;
}"""

# What the focused element is, and whether focus can be seen on it.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const box = el.getBoundingClientRect();
  const onScreen = box.width >= 1 && box.height >= 1 && box.bottom > 0 && box.right > 0
    && box.top < window.innerHeight && box.left < window.innerWidth;
  return {index: el.dataset.kbd ?? null, id: el.id, tag: el.tagName, className: el.className,
          html: el.outerHTML.slice(0, 120), indicator: outline || shadow, onScreen};
}"""


@dataclass
class Keys:
    """What pressing Tab from the top of a page found (``tab_through``)."""

    positive_tabindex: bool = False  # an element with tabindex > 0 (out of document order)
    expected: list[str] = field(default_factory=list)  # what Tab should reach, in order
    # Where focus was after each press (``FOCUSED``; None once it left the page), until it
    # left the page or came round to the first stop again, at most one press per element
    # and one more.
    steps: list[dict[str, Any] | None] = field(default_factory=list)
    focus_after_skip: str = ""  # the focused element's id after Enter on the skip link
    curator_menu: bool = False  # the page has the curator pages' menu (.manage-nav)


def tab_through(page: Page) -> Keys:
    """Tab from the top of the page as it is, as a keyboard user would, and record it."""
    page.evaluate(
        "() => { document.activeElement.blur(); window.scrollTo(0, 0); document.body.focus(); }"
    )
    # A page that focused something itself (the error summary after a refused form) keeps
    # it as the browser's starting point for Tab even once blurred: focusing a stand-in at
    # the very top of the body, then taking it away, moves that point back to the top.
    page.evaluate(
        """() => { const mark = document.createElement('span'); mark.tabIndex = -1;
                   document.body.prepend(mark); mark.focus(); mark.blur(); mark.remove(); }"""
    )
    keys = Keys(
        positive_tabindex=not page.evaluate(
            "() => [...document.querySelectorAll('[tabindex]')].every(el => el.tabIndex <= 0)"
        ),
        expected=list(page.evaluate(MARK_TABBABLE)),
    )
    for _ in range(len(keys.expected) + 1):
        page.keyboard.press("Tab")
        focused: dict[str, Any] | None = page.evaluate(FOCUSED)
        keys.steps.append(focused)
        if focused is None or (len(keys.steps) > 1 and focused["index"] == "0"):
            break
    # The skip link (the first stop) moves focus to <main>: the same load serves both.
    page.locator(".skip-link").first.focus()
    page.keyboard.press("Enter")
    keys.focus_after_skip = str(page.evaluate("() => document.activeElement.id"))
    keys.curator_menu = bool(page.evaluate("() => !!document.querySelector('.manage-nav')"))
    return keys


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary']!r}")
    return "\n".join(lines)


def open_page(page: Page, live: LiveLinkdir, page_type: PageType, lang: str) -> None:
    """Load ``page_type`` in ``lang`` and bring it to the state it stands for."""
    path = page_type.path.format(**live.ids)
    path += ("&" if "?" in path else "?") + f"lang={lang}"
    response = page.goto(live.base_url + path)
    assert response is not None and response.status == page_type.status, path
    if page_type.before:
        BEFORE[page_type.before](page)
    assert page.locator("html").get_attribute("lang") == lang


@dataclass
class Look:
    """What one load of a page type showed."""

    url: str = ""
    failed: str = ""  # why the load itself failed (then nothing else was recorded)
    violations: list[dict[str, Any]] = field(default_factory=list)
    h1_count: int = 0
    keys: Keys | None = None
    keys_failed: str = ""  # why tabbing through failed (only the keyboard test fails then)
    overflowing: dict[int, list[str]] = field(default_factory=dict)

    def loaded(self) -> Look:
        if self.failed:
            pytest.fail(f"{self.url}: the page did not load as it should:\n{self.failed}")
        return self


class Looks:
    """Loads on demand, once per (page type, signed in, language); see the module's doc."""

    def __init__(self, live: LiveLinkdir, tab: Callable[[bool], Page]) -> None:
        self.live = live
        self._tab = tab
        self._seen: dict[tuple[PageType, bool, str], Look] = {}
        self._axe = set(AXE_VISITS)
        self._keys = set(KEY_VISITS)
        self._reflow = set(VISITS)

    def of(self, page_type: PageType, signed_in: bool, lang: str) -> Look:
        key = (page_type, signed_in, lang)
        if key not in self._seen:
            self._seen[key] = self._load(page_type, signed_in, lang)
        return self._seen[key].loaded()

    def _load(self, page_type: PageType, signed_in: bool, lang: str) -> Look:
        page = self._tab(signed_in)
        look = Look()
        page.set_viewport_size({"width": 1280, "height": 900})
        try:
            open_page(page, self.live, page_type, lang)
        except Exception:
            look.url, look.failed = page.url, traceback.format_exc()
            return look
        look.url = page.url
        if (page_type, signed_in) in self._axe:
            look.violations = axe_violations(page)
            look.h1_count = page.locator("h1").count()
        if lang == "sv" and (page_type, signed_in) in self._keys:
            try:
                look.keys = tab_through(page)
            except Exception:
                look.keys_failed = traceback.format_exc()
        if (page_type, signed_in) in self._reflow:
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 640})
                look.overflowing[width] = list(page.evaluate(OVERFLOWING))
        return look


def assert_accessible_and_reflows(page: Page, label: str) -> None:
    """axe finds nothing on the page as it is, and at 320 px nothing scrolls sideways.

    For the flow modules' own states (a page after some input); leaves the page at 320 px.
    """
    violations = axe_violations(page)
    assert not violations, f"{label}\n{describe(violations)}"
    page.set_viewport_size({"width": 320, "height": 640})
    overflowing = page.evaluate(OVERFLOWING)
    assert not overflowing, f"{label} at 320 px:\n" + "\n".join(overflowing[:8])
