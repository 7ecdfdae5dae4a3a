"""Content fingerprints: is the page at an address still the resource a curator chose?

Reference rot is link rot plus *content drift*: the address answers 200 but shows
something else (a casino, a domain resold to a dog groomer, a "project ended" tombstone).
A :class:`Fingerprint` is a small, stable summary of a page's main content (scripts,
styles, navigation, footers, cookie banners and sidebars are already gone from
:attr:`Page.main_text`); :func:`compare` tells a benign change (edited, re-dated,
redesigned, grown by a paragraph) from replaced content.

Stable across processes: shingles are CRC-32s of word 3-grams (Python's ``hash()`` is
salted per process, so :func:`linkdir.checker.classify.shingles` cannot be stored), kept
as a bottom-k sketch so a fingerprint has a fixed size whatever the page's length.
Thresholds come from ``bench/drift`` (development half; the held-out half is reported
in ``bench/README.md``).
"""

from __future__ import annotations

import base64
import re
import sys
import zlib
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Any

from linkdir.checker.classify import Page
from linkdir.checker.freshness import casefold, fold_digits

__all__ = ["Comparison", "Fingerprint", "compare", "of_page", "of_text"]

SKETCH_SIZE = 128  # bottom-k hashes kept: ±0.04 on a Jaccard estimate, 512 bytes
TERM_COUNT = 24
MIN_WORDS = 25  # below this a page's text says too little to compare shingles
# A page's beginning says what it is; reading at most this much keeps a fingerprint to a
# fraction of the parse every check already pays (bench/drift/cost.py).
MAX_CHARS = 16_000
MAX_WORDS = 2000
_MARKER_CHARS = 6000  # the markers are looked for in the title and this much of the text
# Calibrated on the development half of bench/drift (see bench/README.md).
REPLACED_BELOW = 0.55
MARKER_TEXT_BELOW = 0.5  # a new tombstone/casino/for-sale marker with this little left

_WORD = re.compile(r"[^\W\d_]{2,}")
_TITLE_SPLIT = re.compile(r"\s+[|\-–—:·»]+\s+")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS_SV = _word_set(
    "och att det som är för med den till av på ett har inte kan om vi de jag du så men "
    "från eller var sig sin sina detta dessa här där vid när hur vad vilka vilket alla "
    "också mer mycket bara efter under över genom ska skulle kommer finns andra nya "
    "våra vår vårt er ert era hos utan mellan både även eftersom därför dock ingen inga "
    "något några sedan redan man hon han hans hennes deras dem oss mig dig själv sidan "
    "läs mer"
)
STOPWORDS_EN = _word_set(
    "the and to of a in is that for on with as are be this by it or from at an was have "
    "has not can will we you your our their they its more all about which also other "
    "new into been than these those there here when how what who were would should "
    "could may only such any some each most over under after before read page"
)
_STOPWORDS = STOPWORDS_SV | STOPWORDS_EN

# What replaced content says about itself. A marker counts only when the baseline did
# not carry it (a page about gambling addiction keeps mentioning casinos).
_MARKERS: dict[str, re.Pattern[str]] = {
    "closed": re.compile(
        r"\b(?:projektet|tjänsten|webbplatsen|sajten|verksamheten|satsningen|nätverket)\s+"
        r"(?:är|har)\s+(?:nu\s+)?(?:avslutat|avslutad|avslutats|upphört|stängd|stängts|"
        r"nedlagd|lagts\s+ned|lagts\s+ner)|"
        r"\b(?:this|the|our)\s+(?:project|service|site|website|programme|program|network)\s+"
        r"(?:has\s+(?:now\s+)?(?:ended|closed|been\s+(?:closed|discontinued|retired|shut\s+"
        r"down))|is\s+(?:now\s+)?(?:closed|discontinued|no\s+longer\s+(?:active|available|"
        r"maintained)))",
        re.IGNORECASE,
    ),
    "gambling": re.compile(
        r"\b(?:casino|kasino|nätcasino|online\s+casino|free\s+spins|freespins|odds|betting|"
        r"sportsbook|spelbolag|slots?|jackpot|poker|roulette|insättningsbonus|"
        r"välkomstbonus|deposit\s+bonus)\b",
        re.IGNORECASE,
    ),
    "for_sale": re.compile(
        r"\b(?:domain|domän(?:en)?)\b[^.]{0,40}\b(?:for\s+sale|till\s+salu)\b|"
        r"\b(?:website|site|webbplats(?:en)?|sajt(?:en)?|hemsida(?:n)?)\s+(?:is\s+|är\s+)?"
        r"(?:for\s+sale|till\s+salu)\b|"
        r"\bbuy\s+this\s+domain\b|\bköp\s+(?:den\s+här|denna)\s+domän\b",
        re.IGNORECASE,
    ),
}

# Every branch of a marker's pattern holds one of its hints: most pages skip the regex.
_MARKER_HINTS = {
    "closed": ("avslut", "upphört", "stängd", "stängts", "nedlagd", "lagts", "ended",
               "closed", "discontinued", "retired", "shut", "no longer"),
    "gambling": ("casino", "kasino", "spins", "odds", "betting", "sportsbook", "spelbolag",
                 "slot", "jackpot", "poker", "roulette", "bonus"),
    "for_sale": ("sale", "salu", "buy this domain", "köp"),
}  # fmt: skip

_CANONICAL = re.compile(
    rb"""<link\b(?=[^>]*\brel\s*=\s*["']?canonical\b)[^>]*\bhref\s*=\s*["']?([^"'\s>]+)""",
    re.IGNORECASE,
)
_DOI = re.compile(rb"""\b(10\.\d{4,9}/[^\s"'<>&]+)""")
_URN_NBN = re.compile(rb"""\b(urn:nbn:[a-z]{2}(?::[a-z0-9]+)*[-:][a-z0-9\-]+)""", re.IGNORECASE)
_HANDLE = re.compile(rb"""hdl\.handle\.net/(\d[\d.]*/[^\s"'<>&?#]+)""", re.IGNORECASE)
_MAX_IDENTIFIERS = 6


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What a page was about: title, main-text sketch, language, key terms, identifiers."""

    title: str
    sketch: tuple[int, ...]  # the SKETCH_SIZE smallest CRC-32s of word 3-grams, sorted
    shingle_count: int
    words: int
    language: str | None
    terms: tuple[str, ...]
    markers: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()  # "canonical:…", "doi:…", "urn:…", "hdl:…"

    def to_json(self) -> dict[str, Any]:
        """A compact JSON form (the sketch as base64 of 32-bit integers)."""
        packed = array("I", self.sketch).tobytes()
        return {
            "v": 1,
            "title": self.title,
            "sketch": base64.b64encode(packed).decode("ascii"),
            "shingles": self.shingle_count,
            "words": self.words,
            "lang": self.language,
            "terms": list(self.terms),
            "markers": list(self.markers),
            "ids": list(self.identifiers),
        }

    @classmethod
    def from_json(cls, data: Any) -> Fingerprint | None:
        """The fingerprint stored by :meth:`to_json`; None for anything else."""
        if not isinstance(data, dict) or data.get("v") != 1:
            return None
        try:
            sketch = array("I")
            sketch.frombytes(base64.b64decode(data["sketch"]))
            return cls(
                title=str(data["title"]),
                sketch=tuple(sketch),
                shingle_count=int(data["shingles"]),
                words=int(data["words"]),
                language=data.get("lang"),
                terms=tuple(str(t) for t in data.get("terms", ())),
                markers=tuple(str(m) for m in data.get("markers", ())),
                identifiers=tuple(str(i) for i in data.get("ids", ())),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class Comparison:
    """How much of a baseline a page still is, and the verdict."""

    similarity: float  # 0..1, the combined score the verdict uses
    text: float  # shingle similarity (the larger containment, or Jaccard)
    terms: float  # key-term overlap
    title: float  # title word overlap
    new_markers: tuple[str, ...]
    replaced: bool
    comparable: bool  # False when neither page had enough to judge by


def tokens(text: str) -> list[str]:
    """Lower-case words of letters only (digits and punctuation fall away)."""
    return _WORD.findall(casefold(text))


_PUNCTUATION = ".,;:!?()[]{}\"'«»”“’‘/-–—…*#"
_MIX = (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D)  # distinct odd multipliers: word order counts
# Shingle hashing on one big integer: each word's CRC-32 in a 72-bit lane, so that
# a*K1 + b*K2 + c*K3 (< 2**66) of three neighbouring lanes never carries into the next.
_LANE_BYTES = 9
_LANE_BITS = 8 * _LANE_BYTES
_STOPWORDS_SV_ONLY = STOPWORDS_SV - STOPWORDS_EN
_STOPWORDS_EN_ONLY = STOPWORDS_EN - STOPWORDS_SV


def _shingle_hashes(words: list[str], counts: Counter[str] | None = None) -> set[int]:
    """32-bit hashes of word 3-grams: ``(a*K1 + b*K2 + c*K3) mod 2**32`` of the words' CRC-32s.

    Each distinct word's CRC-32 is computed once (``counts``: the distinct words, when
    known); the products and sums of all 3-grams
    are three multiplications of one integer holding every word's CRC-32 in its own
    lane (C speed, instead of a Python loop over the 3-grams).
    """
    if len(words) < 3:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    crc = zlib.crc32
    distinct = counts if counts is not None else set(words)
    lanes = {word: crc(word.encode()).to_bytes(_LANE_BYTES, "little") for word in distinct}
    packed = int.from_bytes(b"".join(map(lanes.__getitem__, words)), "little")
    first, second, third = _MIX
    mixed = first * packed + second * (packed >> _LANE_BITS) + third * (packed >> (2 * _LANE_BITS))
    data = mixed.to_bytes(_LANE_BYTES * len(words) + 8, "little")
    count = len(words) - 2  # lanes that hold a whole 3-gram
    low = bytearray(4 * count)  # the low 32 bits of each of them
    for byte in range(4):
        low[byte::4] = data[byte : _LANE_BYTES * count : _LANE_BYTES]
    hashes = array("I")
    hashes.frombytes(low)
    if sys.byteorder == "big":
        hashes.byteswap()
    return set(hashes)


def _sketch(shingles: set[int]) -> list[int]:
    """The :data:`SKETCH_SIZE` smallest hashes, sorted (``heapq.nsmallest``, cheaper).

    The hashes are spread evenly over 32 bits, so about twice the sketch lies below
    ``2 * SKETCH_SIZE / len`` of the range; only those are sorted (all, when fewer).
    """
    limit = (2 * SKETCH_SIZE << 32) // max(1, len(shingles))
    small = [value for value in shingles if value < limit]
    if len(small) < SKETCH_SIZE:
        small = list(shingles)
    small.sort()
    return small[:SKETCH_SIZE]


def _words(folded: str) -> tuple[list[str], Counter[str], Counter[str]]:
    """(normalised words for shingles, their counts, letter-only words' counts).

    ``folded`` is the casefolded main text. Both counters are in first-seen order (the
    key terms' ties keep it); each distinct word is stripped and tested only once.
    """
    # Digits folded (counters, dates), as in the content hash; the date-word folding of
    # freshness.normalise_text would cost as much as the parse and moves only 3 shingles.
    words = fold_digits(folded).split(None, MAX_WORDS)
    del words[MAX_WORDS:]
    counts = Counter(words)
    letters: Counter[str] = Counter()
    for word, count in counts.items():
        stripped = word.strip(_PUNCTUATION)
        if len(stripped) >= 2 and stripped.isalpha():
            letters[stripped] += count
    return words, counts, letters


def _language(counts: Counter[str]) -> str | None:
    """Swedish or English by stopwords only one of them has (``counts``: the words)."""
    sv = sum(map(counts.__getitem__, _STOPWORDS_SV_ONLY))
    en = sum(map(counts.__getitem__, _STOPWORDS_EN_ONLY))
    if sv + en < 5:
        return None
    return "sv" if sv >= en else "en"


def _key_terms(counts: Counter[str], title_words: list[str]) -> tuple[str, ...]:
    """The most frequent long non-stopwords; ``counts``: the words in first-seen order."""
    terms: Counter[str] = Counter()
    for word in title_words:
        if len(word) >= 4 and word not in _STOPWORDS:
            terms[word] += 3  # a title word names the subject
    for word, count in counts.items():
        if len(word) >= 4 and word not in _STOPWORDS:
            terms[word] += count
    return tuple(word for word, _ in terms.most_common(TERM_COUNT))


def _identifiers(body: bytes) -> tuple[str, ...]:
    head = body[:262144]
    lowered = head.lower()
    found: list[str] = []
    canonical = _CANONICAL.search(head) if b"canonical" in lowered else None
    if canonical:
        found.append("canonical:" + canonical.group(1).decode("utf-8", "replace"))
    for pattern, prefix, hint in (
        (_DOI, "doi:", b"doi"),
        (_URN_NBN, "urn:", b"urn:nbn"),
        (_HANDLE, "hdl:", b"hdl.handle.net"),
    ):
        if hint not in lowered:  # most pages carry none: skip the scan
            continue
        for match in pattern.finditer(head):
            value = match.group(1).decode("utf-8", "replace").rstrip(".,;)")
            if prefix == "urn:":
                value = value.lower()
            item = prefix + value
            if item not in found:
                found.append(item)
            if len(found) >= _MAX_IDENTIFIERS:
                return tuple(found)
    return tuple(found)


def of_text(title: str, main_text: str, body: bytes = b"") -> Fingerprint:
    """A fingerprint of a page's title and main text (``body`` for its identifiers)."""
    main_text = main_text[:MAX_CHARS]
    # One casefolding serves the words, the markers' hints and the title's words.
    folded_head = casefold(main_text[:_MARKER_CHARS])
    folded_title = casefold(title)
    normalised, distinct, counts = _words(folded_head + casefold(main_text[_MARKER_CHARS:]))
    shingles = _shingle_hashes(normalised, distinct)
    head = f"{title} {main_text[:_MARKER_CHARS]}"
    lowered = f"{folded_title} {folded_head}"  # head.casefold()
    markers = tuple(
        name
        for name, pattern in _MARKERS.items()
        if any(hint in lowered for hint in _MARKER_HINTS[name]) and pattern.search(head)
    )
    return Fingerprint(
        title=" ".join(title.split())[:300],
        sketch=tuple(_sketch(shingles)),
        shingle_count=len(shingles),
        words=sum(counts.values()),
        language=_language(counts),
        terms=_key_terms(counts, _WORD.findall(folded_title)),
        markers=markers,
        identifiers=_identifiers(body) if body else (),
    )


def of_page(page: Page, body: bytes = b"") -> Fingerprint:
    """The fingerprint of a page the checker parsed."""
    return of_text(page.title, page.main_text, body)


def _jaccard(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """Bottom-k estimate of the Jaccard similarity of two shingle sets."""
    if not first or not second:
        return 0.0
    union_sketch = sorted(set(first) | set(second))[:SKETCH_SIZE]
    a, b = set(first), set(second)
    # Below the largest hash of both sketches every shingle of either set is known.
    limit = min(first[-1], second[-1])
    sample = [h for h in union_sketch if h <= limit]
    if not sample:
        return 0.0
    return sum(1 for h in sample if h in a and h in b) / len(sample)


def _title_words(title: str) -> set[str]:
    return {w for w in tokens(title) if w not in _STOPWORDS}


def title_similarity(first: str, second: str) -> float:
    """Word overlap of two titles, leaving out the parts both share ("… | Region X").

    Titles are split at separators (``|``, ``-``, ``–``, ``:``); a part both carry is the
    site's name, which every page of the site has, so it is no evidence. When all of one
    title's parts are in the other, it is the same page name with or without the site's.
    """
    parts_a = [p.strip().casefold() for p in _TITLE_SPLIT.split(first) if p.strip()]
    parts_b = [p.strip().casefold() for p in _TITLE_SPLIT.split(second) if p.strip()]
    common = set(parts_a) & set(parts_b)
    rest_a = [p for p in parts_a if p not in common]
    rest_b = [p for p in parts_b if p not in common]
    if common and (not rest_a or not rest_b):
        return 1.0
    wa, wb = _title_words(" ".join(rest_a)), _title_words(" ".join(rest_b))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def _text_similarity(old: Fingerprint, new: Fingerprint) -> float:
    jaccard = _jaccard(old.sketch, new.sketch)
    total = old.shingle_count + new.shingle_count
    union = total / (1 + jaccard) if total else 0.0
    shared = jaccard * union
    kept = shared / old.shingle_count if old.shingle_count else 0.0  # the old text still there
    # A page that shrank to part of itself is the same page only if most of it is left.
    within = shared / new.shingle_count if new.shingle_count else 0.0
    if new.words < 0.25 * old.words:
        within = 0.0
    return min(1.0, max(jaccard, kept, within))


def compare(old: Fingerprint, new: Fingerprint, *, resource_text: str = "") -> Comparison:
    """Judge ``new`` against the baseline ``old`` (and the curator's own title/description).

    Replaced when the combined similarity falls below :data:`REPLACED_BELOW`, or when a
    tombstone, gambling or for-sale marker the baseline lacked appears with little of
    the old text left.
    """
    enough_text = old.words >= MIN_WORDS and new.words >= MIN_WORDS
    text = _text_similarity(old, new) if enough_text else 0.0
    old_terms, new_terms = set(old.terms), set(new.terms)
    curated = {w for w in tokens(resource_text) if len(w) >= 4 and w not in _STOPWORDS}
    old_terms |= curated  # what the curator said it is about counts as the old page's terms
    terms = (
        len(old_terms & new_terms) / min(len(old_terms), len(new_terms))
        if old_terms and new_terms
        else 0.0
    )
    title = title_similarity(old.title, new.title) if old.title and new.title else 0.0
    comparable = enough_text or bool(old_terms and new_terms) or bool(old.title and new.title)
    similarity = max(text, (terms + title) / 2) if comparable else 1.0
    new_markers = tuple(m for m in new.markers if m not in old.markers)
    replaced = comparable and (
        similarity < REPLACED_BELOW or (bool(new_markers) and text < MARKER_TEXT_BELOW)
    )
    return Comparison(
        similarity=round(similarity, 3),
        text=round(text, 3),
        terms=round(terms, 3),
        title=round(title, 3),
        new_markers=new_markers,
        replaced=replaced,
        comparable=comparable,
    )
