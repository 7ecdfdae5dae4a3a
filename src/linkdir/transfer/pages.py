"""Links pages: the resources a library's old web page links to, without its site chrome.

A county library's page of links is mostly chrome — a skip link ("Gå till sidans
huvudinnehåll"), header, navigation, breadcrumbs, a contact box, a sidebar, a footer —
around a few real resources. We keep links in the main content only, use the anchor text
as the title, the nearest preceding heading as a suggested topic and the surrounding
sentence or list item as the description.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

from linkdir.errors import N_
from linkdir.transfer.drafts import Draft, Parsed, ParseFailed

_NOISE = ("script", "style", "noscript", "template", "svg", "iframe", "object", "canvas")
_CHROME_TAGS = ("nav", "header", "footer", "aside", "form", "dialog", "button", "select")
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "dialog"}
# Class or id words of boxes that are part of the site, not of the page's content.
_CHROME_CLASS = re.compile(
    r"(?:^|[\s_-])(?:cookies?|consent|breadcrumbs?|brodsmulor|brödsmulor|share|sharing|"
    r"dela|social|sidebar|sidomeny|menu|meny|navbar|nav|skip|skiplink|contact|contacts|"
    r"kontakt|kontaktruta|kontaktinfo|related|relaterat|newsletter|nyhetsbrev|pagination|"
    r"toolbar|footer|sidfot|header|sidhuvud|banner|feedback|tyck-till|print)(?:[\s_-]|$)",
    re.IGNORECASE,
)
_CONTAINERS = (
    "//main",
    "//*[@role='main']",
    "//*[@id='main-content' or @id='maincontent' or @id='main' or @id='content' "
    "or @id='innehall' or @id='huvudinnehall']",
    "//article",
)
_BLOCKS = ("li", "p", "dd", "dt", "td", "th", "figcaption", "blockquote", "div")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_SKIP_TEXT = re.compile(
    r"^(?:gå|hoppa)\s+till\s+(?:sidans\s+)?(?:huvud)?innehåll|^skip\s+to\s|^till\s+innehållet",
    re.IGNORECASE,
)
# Anchor texts that say nothing about where they lead.
_GENERIC = re.compile(
    r"^(?:läs\s+mer|mer\s+info(?:rmation)?|här|klicka\s+här|länk|read\s+more|more|"
    r"click\s+here|here|link|till\s+sidan|gå\s+till\s+sidan)\W*$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖÉ0-9\"“(])")
_LEADING_SEPARATOR = re.compile(r"^\s*[-–—:|·•]\s*")
MAX_DESCRIPTION = 1000


def _squash(text: str) -> str:
    return " ".join(text.split())


def _text(element: lxml.etree._Element) -> str:
    # Inline markup (<a>, <em>) must not add spaces: "till <a>X</a>." reads "till X."
    return _squash("".join(element.itertext()))


def _is_chrome(element: lxml.etree._Element) -> bool:
    if not isinstance(element.tag, str):
        return False
    if element.tag in _CHROME_TAGS:
        return True
    if (element.get("role") or "").lower() in _CHROME_ROLES:
        return True
    if element.get("hidden") is not None or (element.get("aria-hidden") or "") == "true":
        return True
    marker = f"{element.get('class') or ''} {element.get('id') or ''}"
    return bool(marker.strip()) and bool(_CHROME_CLASS.search(marker))


def _container(root: lxml.etree._Element) -> lxml.etree._Element:
    for path in _CONTAINERS:
        found = [node for node in root.xpath(path) if not _inside_chrome(node)]
        if len(found) == 1:
            return found[0]
    body = root.find("body")
    return body if body is not None else root


def _inside_chrome(element: lxml.etree._Element) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag in ("nav", "footer", "aside") or _is_chrome(parent):
            return True
        parent = parent.getparent()
    return False


def _inside_item(element: lxml.etree._Element, container: lxml.etree._Element) -> bool:
    for ancestor in element.iterancestors():
        if ancestor is container:
            return False
        if ancestor.tag in ("li", "dd", "dt"):
            return True
    return False


def _language(root: lxml.etree._Element) -> str | None:
    raw = (root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip()
    return raw.split("-")[0].lower() or None


def _page_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _block(anchor: lxml.etree._Element, container: lxml.etree._Element) -> lxml.etree._Element:
    node = anchor.getparent()
    while node is not None and node is not container:
        if node.tag in _BLOCKS:
            return node
        node = node.getparent()
    return anchor


def _description(anchor_text: str, block: lxml.etree._Element) -> str:
    text = _text(block)
    if _GENERIC.match(anchor_text):
        # "… material för källkritik. Läs mer": the rest of the block describes the link.
        text = _squash(text.replace(anchor_text, " "))
        anchor_text = ""
    if block.tag != "li" and block.tag != "dd":
        sentences = _SENTENCE_END.split(text)
        text = next((s for s in sentences if anchor_text and anchor_text in s), text)
    if anchor_text and text.startswith(anchor_text):
        rest = text[len(anchor_text) :]
        if _LEADING_SEPARATOR.match(rest):
            text = _LEADING_SEPARATOR.sub("", rest)  # "Title – what it is": keep what it is
            text = text[:1].upper() + text[1:]
    if _squash(text) == anchor_text:
        return ""
    if len(text) > MAX_DESCRIPTION:
        text = text[:MAX_DESCRIPTION].rsplit(" ", 1)[0] + " …"
    return text.strip()


def extract_links(html: str, page_url: str) -> Parsed:
    """Drafts for the links in the main content of ``html`` (fetched from ``page_url``)."""
    parsed = Parsed(format="page")
    if not html.strip():
        raise ParseFailed(N_("The page is empty."))
    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        raise ParseFailed(N_("The page could not be read as HTML.")) from None
    parsed.source_language = _language(root)
    base_element = root.find(".//base[@href]")
    base = urljoin(page_url, base_element.get("href", "")) if base_element is not None else page_url
    for element in root.xpath("|".join(f"//{tag}" for tag in _NOISE)):
        element.drop_tree()
    container = _container(root)
    for element in list(container.iter()):
        if element is not container and _is_chrome(element) and element.getparent() is not None:
            element.drop_tree()
    own = _page_url(page_url)
    heading: str | None = None  # the section's heading: the topic suggestion
    nearest: str | None = None  # the closest heading of any kind: names a "Läs mer" link
    heading_since_link = False
    for element in container.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in _HEADINGS:
            text = _text(element)
            # A heading inside a list item ("23 saker …") titles that item, not a section:
            # it is no topic suggestion (issue 16).
            if not _inside_item(element, container):
                heading = text or heading
            nearest = text or nearest
            heading_since_link = True
            continue
        if element.tag != "a" or element.get("href") is None:
            continue
        parsed.rows += 1
        href = (element.get("href") or "").strip()
        anchor_text = _text(element)
        scheme = href.split(":", 1)[0].lower() if ":" in href.split("/", 1)[0] else ""
        if (
            not href
            or href.startswith("#")
            or scheme not in ("", "http", "https")
            or _SKIP_TEXT.match(anchor_text)
        ):
            parsed.skipped += 1
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https") or _page_url(url) == own:
            parsed.skipped += 1
            continue
        url = url.split("#", 1)[0]
        title = anchor_text
        if not title:
            image = element.find(".//img[@alt]")
            title = _squash(
                element.get("title")
                or element.get("aria-label")
                or (image.get("alt", "") if image is not None else "")
            )
        description = _description(anchor_text, _block(element, container))
        if (not title or _GENERIC.match(title)) and nearest and heading_since_link:
            title = nearest  # "Läs mer" under its own heading: the heading names it
        if not title:
            title = url
        parsed.drafts.append(
            Draft(
                line=element.sourceline or 0,
                url=url,
                title=title[:300],
                description=description if description != title else "",
                language=parsed.source_language,
                topics=[heading] if heading else [],
            )
        )
        heading_since_link = False
    return parsed
