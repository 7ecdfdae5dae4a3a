"""What a page says about itself: not-found wording, parking, walls, redirects, dates.

Everything here works on one parsed HTML document; the engine decides the verdict.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import lxml.etree

from linkdir.checker import freshness, lexicon
from linkdir.checker.lexicon import fold

# ------------------------------------------------------------------ wording

_PARKED_HINTS = ("domain", "domän", "parked")
# A title or heading that *is* a status: "404", "Fel 404", "Error 404 - Page not found".
_STATUS_404 = re.compile(r"^\W*(?:(?:http\s*)?(?:fel|error|virhe|feil|fejl)\s*:?\s*)?404\b")
# Separators between a page's own title and the site's name.
_TITLE_PARTS = re.compile(r"\s+[|\-:·•»]\s+|\s*\|\s*")
_SEARCH_TITLE = re.compile(
    r"^\W*(?:sök|sökresultat|sökträffar|search|search\s+results|søk|søg|søgeresultat|"
    r"søkeresultat|haku|hakutulokset|sök\s+på\s+webbplatsen)\b"
)

_PARKED = re.compile(
    "|".join(
        [
            r"\b(?:this|the)\s+domain(?:\s+name)?\b[^.]{0,60}?\b(?:is|may\s+be|might\s+be|could\s+"
            r"be)\s+(?:for\s+sale|available\s+for\s+(?:sale|purchase))",
            r"\bbuy\s+this\s+domain\b",
            r"\bdomain\s+(?:name\s+)?(?:is\s+)?for\s+sale\b",
            r"\bmake\s+an\s+offer\s+on\s+this\s+domain\b",
            r"\binquire\s+about\s+this\s+domain\b",
            r"\bthis\s+domain\s+(?:is|has\s+been)\s+parked\b",
            r"\bparked\s+(?:free|domain|by)\b",
            r"\bdomain\s+parking\b",
            r"\bthis\s+domain\s+(?:has\s+expired|is\s+registered\s+(?:at|with|by)|has\s+been\s+"
            r"registered)\b",
            r"\b(?:den\s+här|denna)\s+domän(?:en)?\s+(?:är|kan\s+vara)\s+(?:till\s+salu|parkerad|"
            r"registrerad\s+(?:hos|av|via))",
            r"\bdomänen\b[^.]{0,60}?\b(?:är|kan\s+vara)\s+(?:till\s+salu|parkerad|registrerad\s+"
            r"(?:hos|av|via))",
            r"\bköp\s+(?:den\s+här|denna)\s+domän\b",
            r"\bdomänen\s+har\s+(?:gått\s+ut|löpt\s+ut)\b",
        ]
    ),
    re.IGNORECASE,
)
PARKING_HOSTS = frozenset(
    {
        "sedoparking.com",
        "sedo.com",
        "parkingcrew.net",
        "bodis.com",
        "above.com",
        "parklogic.com",
        "dan.com",
        "afternic.com",
        "hugedomains.com",
        "domainmarket.com",
        "undeveloped.com",
        "parking.godaddy.com",
        "domainnamesales.com",
        "uniregistry.com",
        "buydomains.com",
    }
)

_CHALLENGE_TITLES = re.compile(
    r"^\s*(?:just\s+a\s+moment|attention\s+required|please\s+wait|checking\s+your\s+browser|"
    r"pardon\s+our\s+interruption|are\s+you\s+a\s+robot|one\s+more\s+step|ddos[-\s]guard|"
    r"access\s+denied|security\s+check|human\s+verification)",
    re.IGNORECASE,
)
_CHALLENGE_MARKERS = (
    b"_cf_chl_opt",
    b"cf-browser-verification",
    b"captcha-delivery.com",
    b"_incapsula_resource",
    b"px-captcha",
    b"ddos-guard",
)

_LOGIN_PATH = re.compile(
    r"(?:^|/)(?:login|log-in|logga-?in|signin|sign-in|sign_in|inloggning|auth|sso|cas/login|"
    r"account/login|users/sign_in|wp-login\.php|idp|saml2?)(?:[/.?]|$)",
    re.IGNORECASE,
)
_LOGIN_TITLE = re.compile(r"\b(?:logga\s+in|inloggning|log\s*in|sign\s+in)\b", re.IGNORECASE)

_HOME_PATH = re.compile(
    r"^/*(?:(?:sv|en|se|sv-se|en-gb|en-us|sv_se)/*)?"
    r"(?:(?:index|default|home|start|startsida|hem|main)(?:\.(?:html?|php|aspx?|jsp))?)?/*$",
    re.IGNORECASE,
)

_NOISE_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "object", "canvas")
_CHROME_TAGS = ("nav", "header", "footer", "aside", "form", "button", "select", "dialog")
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "dialog"}
_CHROME_CLASS = re.compile(
    r"(?:^|[\s_-])(?:cookies?|consent|gdpr|breadcrumbs?|share|sharing|social|sidebar|menu|"
    r"navbar|nav|skip|comments?|related|newsletter|pagination|toolbar)(?:[\s_-]|$)",
    re.IGNORECASE,
)
_KEEP = ("html", "body", "main", "article")
_PARSER = lxml.etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
# The same for a body that is clean UTF-8, parsed as the bytes it came in: a str would be
# handed to libxml2 as latin-1/UCS-2/UCS-4 and converted back to UTF-8 inside it.
_UTF8_PARSER = lxml.etree.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, encoding="utf-8"
)
# Compiled once: ``element.xpath(string)`` compiles its expression on every call.
_STRING_LENGTH = lxml.etree.XPath("string-length(.)")
# Elements that can be marked as chrome. ``[@*]`` first: one attribute test per element
# instead of five for the many elements without any attribute (paragraphs, list items).
_MARKED = lxml.etree.XPath(".//*[@*][@class or @id or @role or @aria-hidden or @hidden]")
_LINK_TEXTS = lxml.etree.XPath(".//a//text()", smart_strings=False)
_MEDIA = lxml.etree.XPath(".//img | .//video | .//object | .//embed")
_ROLE_MAIN = lxml.etree.XPath(".//*[@role='main']")
# Every text node under an element, in document order: ``list(element.itertext())``, as
# plain strings collected in C (5× faster than the itertext generator on a 40 KB page).
_TEXTS = lxml.etree.XPath(".//text()", smart_strings=False)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_-]+)""", re.I)
_REFRESH = re.compile(
    r"^\s*(\d+(?:\.\d+)?)?\s*[;,]?\s*(?:url\s*=\s*)?(['\"]?)(.*?)\2\s*$", re.IGNORECASE | re.DOTALL
)


class MainText:
    """A page's main text, whitespace squashed; a long one is squashed only at its ends.

    The verdict reads the first and last few KB and needs the length only against a few
    thresholds, so the middle of a long page is joined and squashed only when someone
    asks for the whole text (the content hash, the fingerprint, the sibling probe's
    similarity). The text is exactly ``" ".join(" ".join(nodes).split())`` either way.
    """

    __slots__ = ("_full", "_middle", "head", "tail")

    def __init__(self, nodes: list[str], head_chars: int) -> None:
        count = len(nodes)
        self.head, taken = _squashed_run(nodes, 0, count, 1, head_chars)
        # At least ``head_chars`` long unless it is all.
        self._full: str | None = None
        self._middle: list[str] = []
        self.tail = ""
        if taken == count:
            self._full = self.head
            return
        # The last _DATE_EDGE characters (and a little more: whole nodes).
        self.tail, before = _squashed_run(nodes, count - 1, taken - 1, -1, _DATE_EDGE + 1)
        end = before + 1
        self._middle = nodes[taken:end]
        if not self._middle:
            self._full = f"{self.head} {self.tail}" if self.tail else self.head

    @property
    def text(self) -> str:
        """The whole text (joined on first use for a long page)."""
        if self._full is None:
            middle = " ".join(" ".join(self._middle).split())
            parts = [self.head, middle, self.tail]
            self._full = " ".join(part for part in parts if part)
            self._middle = []
        return self._full

    @property
    def complete(self) -> bool:
        return self._full is not None

    def size_bounds(self) -> tuple[int, int]:
        """(at least, at most) ``len(text)``, without joining the middle."""
        if self._full is not None:
            return len(self._full), len(self._full)
        known = len(self.head) + 1 + len(self.tail)
        return known, known + len(self._middle) + sum(map(len, self._middle))

    def shorter_than(self, size: int) -> bool:
        low, high = self.size_bounds()
        if high < size:
            return True
        if low >= size:
            return False
        return len(self.text) < size


def _squashed_run(nodes: list[str], start: int, stop: int, step: int, want: int) -> tuple[str, int]:
    """Whole nodes from ``start`` towards ``stop`` until ``want`` squashed characters are had.

    Returns the squashed text (in document order) and the index after the last node taken
    (``step`` -1: before it). Nodes are taken in runs whose raw length covers what is
    still missing (a raw node is never shorter than its squashed words) and each run is
    squashed with one join and one split, instead of splitting node by node.
    """
    parts: list[str] = []
    size = 0  # squashed characters so far, a space after each part
    index = start
    while index != stop and size < want:
        missing = want - size
        run = 0
        first = index
        while index != stop and run < missing:
            run += len(nodes[index]) + 1
            index += step
        chunk = nodes[first:index] if step > 0 else nodes[index + 1 : first + 1]
        piece = " ".join(" ".join(chunk).split())
        if piece:
            parts.append(piece)
            size += len(piece) + 1
    if step < 0:
        parts.reverse()
    return " ".join(parts), index


@dataclass(frozen=True, slots=True)
class Page:
    """What the checker reads out of an HTML page."""

    title: str
    main: MainText  # normalised whitespace, for similarity and the content hash
    refresh: tuple[float, str] | None  # (delay seconds, target) of a meta refresh
    modified: date | None  # the page's own last-updated date
    published: date | None
    not_found: bool  # the page says it is gone (not found, removed, moved away, expired)
    parked: bool
    challenge: bool
    login_form: bool
    gone: str | None = None  # which wording: not_found, removed, moved, expired
    maintenance: bool = False  # "down for maintenance": come back later
    evidence: str = ""  # the words that gave it away, for ``detail``
    search_page: bool = False  # the page is a site search (form or results)
    empty: bool = False  # no title, no text, no script, nothing to show

    @property
    def main_text(self) -> str:
        return self.main.text


def decode_html(body: bytes, charset: str | None) -> str:
    """Bytes to text: header charset, then ``<meta charset>``, then UTF-8, then cp1252."""
    return _decoded(body, charset)[0]


def _decoded(body: bytes, charset: str | None) -> tuple[str, bool]:
    """``decode_html``, and whether ``body`` is that text as it stands in clean UTF-8.

    Clean: decoded as UTF-8, every byte of it (not cut mid-character by the body cap),
    no byte-order mark. Then libxml2 can read the bytes as they are.
    """
    candidates = [charset] if charset else []
    match = _META_CHARSET.search(body[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "replace"))
    for name in candidates:
        try:
            codec = codecs.lookup(name.strip().lower())
        except LookupError:
            continue
        if codec.name in ("utf-8", "ascii"):
            break  # checked below, tolerating a character cut in half by the body cap
        if codec.name == "latin-1" or codec.name == "iso8859-1":
            codec = codecs.lookup("cp1252")  # what browsers do with "iso-8859-1"
        return body.decode(codec.name, "replace"), False
    try:
        # What an incremental decoder gives: a character cut in half at the end is left out.
        text, used = codecs.utf_8_decode(body, "strict", False)
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace"), False
    return text, used == len(body) and not text.startswith("\ufeff")


def analyse(body: bytes, charset: str | None, *, today: date) -> Page | None:
    """Parse an HTML body; None when it is not parseable as HTML at all.

    One parse, and every text scan on bounded windows: the title, the headings, the
    first and last few KB of the main text, the words around date keywords.
    """
    text, utf8 = _decoded(body, charset)
    declared = _XML_DECL.match(text)
    if declared:
        text, utf8 = text[declared.end() :], False
    if not text.strip():
        return None
    try:
        # Plain etree elements: lxml.html's element classes cost a Python call per node.
        doc = (
            lxml.etree.fromstring(body, _UTF8_PARSER)
            if utf8
            else lxml.etree.fromstring(text, _PARSER)
        )
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return None
    if doc is None:
        return None
    title = ""
    metas: dict[str, str] = {}
    refresh: tuple[float, str] | None = None
    json_ld: list[str] = []
    parking_script = login_form = False
    scripts = 0
    # One pass over the few element kinds that carry metadata (lxml filters tags in C).
    for element in doc.iter("title", "meta", "time", "script", "iframe", "frame", "input"):
        tag = element.tag
        if tag == "meta":
            key = (
                element.get("property") or element.get("name") or element.get("itemprop") or ""
            ).lower()
            content = element.get("content") or ""
            if key and content and key not in metas:
                metas[key] = content
            if refresh is None and (element.get("http-equiv") or "").lower() == "refresh":
                refresh = _parse_refresh(content)
        elif tag == "title":
            title = title or _squash(element.text or "")
        elif tag == "time":
            stamp = element.get("datetime")
            if stamp and (element.get("itemprop") or "").lower() == "datemodified":
                metas.setdefault("datemodified", stamp)
        elif tag == "input":
            login_form = login_form or (element.get("type") or "").lower() == "password"
        else:
            scripts += 1
            if tag == "script" and (element.get("type") or "").lower() == "application/ld+json":
                json_ld.append(element.text or "")
            parking_script = parking_script or _host_matches(
                element.get("src") or "", PARKING_HOSTS
            )
    challenge = bool(_CHALLENGE_TITLES.match(title))

    for element in list(doc.iter(*_NOISE_TAGS)):
        _drop(element)
    body_element = doc.find("body")
    root = body_element if body_element is not None else doc
    headings = " | ".join(_text(h) for h in root.iter("h1"))
    # A site search says so in its title or first heading ("Sök", "Sökresultat", "Search").
    search_page = bool(_SEARCH_TITLE.match(fold(title[:60]))) or bool(
        headings and _SEARCH_TITLE.match(fold(headings[:60]))
    )
    # Only a short page can be parked (or be empty); its text is cheap to take in full.
    raw_size = _STRING_LENGTH(root)
    full_text = _text(root) if raw_size < 12_000 else ""

    footer_text = ""
    for element in list(root.iter(*_CHROME_TAGS)):
        if element.tag == "footer" and len(footer_text) < 2000:
            footer_text += " " + _text(element)[:1000]  # "Senast uppdaterad" often lives here
        _drop(element)
    # Only elements with attributes can be marked as chrome: XPath finds them in C.
    for element in _MARKED(root):
        if element.tag not in _KEEP and _is_chrome(element):
            _drop(element)
    main = _main_container(root)
    first_heading = headings.split(" | ", 1)[0]
    # Enough of the head for the status window under the first heading and the dates.
    main_words = MainText(_TEXTS(main), max(_HEAD, 2 * len(first_heading) + _SHORT + 8))
    # A bot wall says next to nothing and carries its vendor's markers up front; a page
    # with a text of its own that names one (an article about captchas) is not a wall.
    if not challenge and main_words.shorter_than(_STATUS_PAGE):
        lowered = body[:24576].lower()
        challenge = any(m in lowered for m in _CHALLENGE_MARKERS)

    meta_modified, meta_published = freshness.meta_dates(metas, today=today)
    ld_modified, ld_published = freshness.json_ld_dates(json_ld, today=today)
    # A page states its date near the top or at the bottom of its text (or in its
    # footer), never in the header's "today" or a news list beside it (both chrome).
    if main_words.complete:
        whole = main_words.text
        edges = (
            whole
            if len(whole) <= 2 * _DATE_EDGE
            else (whole[:_DATE_EDGE] + " … " + whole[-_DATE_EDGE:])
        )
    else:  # longer than _HEAD > 2 * _DATE_EDGE
        edges = main_words.head[:_DATE_EDGE] + " … " + main_words.tail[-_DATE_EDGE:]
    edges_lowered = f"{edges.lower()} … {footer_text.lower()}"
    modified = (
        ld_modified
        or meta_modified
        or freshness.visible_modified(edges_lowered, today=today, lowered=edges_lowered)
    )
    published = (
        ld_published
        or meta_published
        or freshness.visible_published(edges_lowered, today=today, lowered=edges_lowered)
    )

    gone, maintenance, evidence = _status_wording(title, first_heading, main, main_words)
    if gone == "moved" and refresh is not None:
        gone = None  # "Sidan har flyttat" above a meta refresh: the redirect speaks for it
    parked_text = f"{title} {full_text[:3000]}" if full_text and len(full_text) < 5000 else ""
    parked = parking_script or bool(
        _hinted(parked_text, _PARKED_HINTS) and _PARKED.search(parked_text)
    )
    return Page(
        title=title,
        main=main_words,
        refresh=refresh,
        modified=modified,
        published=published,
        not_found=gone is not None,
        parked=parked,
        challenge=challenge,
        login_form=login_form and bool(_LOGIN_TITLE.search(title + " " + headings)),
        gone=gone,
        maintenance=maintenance,
        evidence=evidence,
        search_page=search_page,
        empty=not title
        and not full_text
        and not scripts
        and refresh is None
        and not len(_MEDIA(root)),
    )


# How much main text a status page has at most. Real not-found pages say one thing and
# offer a search or the front page; an article *about* errors says a great deal more.
_SHORT = 1500
# A page with no title, no heading and less text than this, saying "404": an error page
# with nothing else to say (a framework's bare answer, a joke page).
_BARE = 400
_BARE_404 = re.compile(r"(?<![\w/.-])404(?![\w/.-])")
_STATUS_PAGE = 3000
_DATE_EDGE = 3000  # characters at each end of the main text searched for its date
# Main text squashed from the start before the rest is skipped: just more than both date
# edges, so that a text longer than the head always has distinct ones (the status window
# under the first heading asks for more when the heading is long).
_HEAD = 2 * _DATE_EDGE + 8


def _status_wording(
    title: str, first_heading: str, main: lxml.etree._Element, text: MainText
) -> tuple[str | None, bool, str]:
    """(gone kind, maintenance, evidence): what the page says about itself, weighed by shape.

    Title and first heading count most: a heading that *is* the status ("404", "Sidan
    kunde inte hittas") on a page without much else. Wording in the body counts on a
    short page, and only outside an explanation ("a 404 error means …"). A long page
    about errors, or one whose title merely mentions them, is a page like any other.
    """
    # The exact length only matters below _HEAD: a longer text is only squashed at its ends.
    size = len(text.text) if text.complete else _HEAD
    main_text = text.text if text.complete else text.head
    shape: list[bool] = []

    def status_shape() -> bool:
        # Short, or mostly links (a not-found page with a sitemap); computed on demand.
        if not shape:
            shape.append(size < _STATUS_PAGE or _mostly_links(main, text))
        return shape[0]

    body: list[tuple[str, tuple[str, re.Match[str]] | None, bool]] = []

    def body_status() -> tuple[str, tuple[str, re.Match[str]] | None, bool]:
        # (window, status wording in it, whether it opens by defining a term)
        # The text under the heading (the heading itself is judged as a heading).
        if not body:
            start = main_text[: len(first_heading) + 4].find(first_heading) if first_heading else -1
            text = main_text[start + len(first_heading) :] if start >= 0 else main_text
            window = fold(text[:_SHORT])
            body.append((window, lexicon.find_status(window), lexicon.defines(window)))
        return body[0]

    def explained() -> bool:
        # A glossary entry titled "404" defines the error; it does not report one. Its
        # heading counts only if the text also says this page is gone.
        window, found, defined = body_status()
        return defined or (found is None and lexicon.explains(window))

    for part in _heading_parts(title, first_heading):
        folded = fold(part)
        if not folded:
            continue
        if _STATUS_404.match(folded):
            if status_shape() and not explained():
                return "not_found", False, part
            continue
        found = lexicon.find(folded)
        if found is None:
            continue
        kind, match = found
        # The heading is the status when the wording is most of it.
        dominant = len(match.group(0)) >= 0.6 * len(folded.strip(" !.?"))
        if ((dominant and status_shape()) or size < _SHORT) and not explained():
            return (None, True, part) if kind == "maintenance" else (kind, False, part)
    if size >= _STATUS_PAGE and not status_shape():
        return None, False, ""
    window, in_body, defined = body_status()
    if defined:
        return None, False, ""
    if in_body is None:
        said = f"{fold(title)} . {fold(first_heading)} . {window}"
        notice = lexicon.maintenance_notice(said)
        if notice is not None and not lexicon.explains(window):  # (explains() is the dearer)
            return None, True, _sentence_around(said, notice)
        if not title and not first_heading and size < _BARE and _BARE_404.search(window):
            return "not_found", False, "404"  # a bare page that only says 404, in its way
        return None, False, ""
    kind, match = in_body
    evidence = match.group(0)
    return (None, True, evidence) if kind == "maintenance" else (kind, False, evidence)


def _sentence_around(text: str, match: re.Match[str]) -> str:
    """The sentence of ``text`` that holds ``match``: evidence a curator can read."""
    start = max(text.rfind(". ", 0, match.start()), text.rfind("! ", 0, match.start())) + 1
    ends = [i for i in (text.find(". ", match.end()), text.find("! ", match.end())) if i >= 0]
    return text[start : min(ends) + 1 if ends else len(text)].strip(" .")


def _heading_parts(title: str, first_heading: str) -> list[str]:
    parts = [first_heading] if first_heading else []
    parts.extend(_TITLE_PARTS.split(title)[:2] if title else [])
    return parts


def _mostly_links(main: lxml.etree._Element, text: MainText) -> bool:
    """More than half of the main text is link text (a sitemap, a list of links)."""
    low, high = text.size_bounds()
    if not high:
        return False
    linked = sum(map(len, _LINK_TEXTS(main)))
    if linked > 0.5 * high:
        return True
    if linked <= 0.5 * low:
        return False
    return linked > 0.5 * len(text.text)


def _hinted(text: str, hints: tuple[str, ...]) -> bool:
    lowered = text.lower()
    for hint in hints:  # noqa: SIM110 - a plain loop: any() with a generator is slower here
        if hint in lowered:
            return True
    return False


def _parse_refresh(content: str) -> tuple[float, str] | None:
    match = _REFRESH.match(content)
    if not match or not match.group(3).strip():
        return None
    try:
        delay = float(match.group(1) or 0)
    except ValueError:
        return None
    return delay, match.group(3).strip()


def _is_chrome(element: lxml.etree._Element) -> bool:
    if (element.get("role") or "").lower() in _CHROME_ROLES:
        return True
    if (element.get("aria-hidden") or "").lower() == "true" or element.get("hidden") is not None:
        return True
    marker = f"{element.get('class') or ''} {element.get('id') or ''}"
    return bool(marker.strip()) and bool(_CHROME_CLASS.search(marker))


def _main_container(root: lxml.etree._Element) -> lxml.etree._Element:
    # One lookup after the other: the ``role`` XPath walks every element of the page and
    # is not needed when the page has one ``<main>`` (it used to run on every page).
    found = root.findall(".//main")
    if len(found) == 1:
        return found[0]
    found = _ROLE_MAIN(root)
    if len(found) == 1:
        return found[0]
    found = root.findall(".//article")
    if len(found) == 1:
        return found[0]
    return root


def _drop(element: lxml.etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + " " + tail
        else:
            parent.text = (parent.text or "") + " " + tail
    parent.remove(element)


def _text(element: lxml.etree._Element) -> str:
    return _squash(" ".join(_TEXTS(element)))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _host_matches(url: str, hosts: frozenset[str]) -> bool:
    if not url:
        return False
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return _in_domains(host, hosts)


def _in_domains(host: str, domains: frozenset[str]) -> bool:
    """``host`` is one of ``domains`` or a subdomain of one."""
    labels = host.lower().split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


def is_parking_host(host: str) -> bool:
    """A domain-parking or domain-sale service (sedoparking.com, dan.com, …)."""
    return _in_domains(host, PARKING_HOSTS)


def is_home_path(path: str) -> bool:
    """True for a site's front page: ``/``, ``/index.html``, ``/sv/``, ``/start``."""
    return bool(_HOME_PATH.match(path or "/"))


def is_login_path(path: str) -> bool:
    return bool(_LOGIN_PATH.search(path))


def shingles(text: str) -> frozenset[int]:
    """Hashes of word 3-grams of the first 2,000 words, for a quick Jaccard similarity."""
    words = freshness.normalise_text(text).split()[:2000]
    if len(words) < 3:
        return frozenset({hash(" ".join(words))})
    return frozenset(hash((words[i], words[i + 1], words[i + 2])) for i in range(len(words) - 2))


def similarity(first: frozenset[int], second: frozenset[int]) -> float:
    if not first and not second:
        return 1.0
    return len(first & second) / len(first | second)
