"""The page digests' fast paths give what the plain code gives (issue 12, sixth pass).

Content hashes and fingerprints are stored and compared across versions: a change of
output is a regression. Each fast path is held to a straightforward reference (the code
it replaced) on varied text: Swedish and other diacritics, digits in every script,
dates, odd whitespace, punctuation around words, short and long pages.
"""

from __future__ import annotations

import hashlib
import heapq
import random
import re
import zlib
from collections import Counter

import pytest

from linkdir.checker import fingerprint, freshness
from linkdir.checker.fingerprint import (
    _MARKER_HINTS,
    _MARKERS,
    _STOPWORDS,
    MAX_CHARS,
    MAX_WORDS,
    SKETCH_SIZE,
    STOPWORDS_EN,
    STOPWORDS_SV,
    TERM_COUNT,
    Fingerprint,
)

_DIGITS = re.compile(r"\d+")
_PUNCTUATION = ".,;:!?()[]{}\"'«»”“’‘/-–—…*#"


# ------------------------------------------------ the reference: the code before the pass


def _reference_shingles(words: list[str]) -> set[int]:
    if len(words) < 3:
        return {zlib.crc32(" ".join(words).encode())} if words else set()
    hashes = [zlib.crc32(word.encode()) for word in words]
    return {
        (a * 0x9E3779B1 + b * 0x85EBCA77 + c * 0xC2B2AE3D) & 0xFFFFFFFF
        for a, b, c in zip(hashes, hashes[1:], hashes[2:], strict=False)
    }


def _reference_words(text: str) -> tuple[list[str], list[str]]:
    words = _DIGITS.sub("#", text.casefold()).split()[:MAX_WORDS]
    letters = []
    for word in words:
        word = word.strip(_PUNCTUATION)
        if len(word) >= 2 and word.isalpha():
            letters.append(word)
    return words, letters


def _reference_language(words: list[str]) -> str | None:
    sv = sum(1 for w in words if w in STOPWORDS_SV and w not in STOPWORDS_EN)
    en = sum(1 for w in words if w in STOPWORDS_EN and w not in STOPWORDS_SV)
    if sv + en < 5:
        return None
    return "sv" if sv >= en else "en"


def _reference_terms(words: list[str], title_words: list[str]) -> tuple[str, ...]:
    counts: Counter[str] = Counter()
    for word in title_words:
        if len(word) >= 4 and word not in _STOPWORDS:
            counts[word] += 3
    for word in words:
        if len(word) >= 4 and word not in _STOPWORDS:
            counts[word] += 1
    return tuple(word for word, _ in counts.most_common(TERM_COUNT))


def reference_of_text(title: str, main_text: str) -> Fingerprint:
    main_text = main_text[:MAX_CHARS]
    normalised, words = _reference_words(main_text)
    shingles = _reference_shingles(normalised)
    hashes = heapq.nsmallest(SKETCH_SIZE, shingles)
    title_words = re.findall(r"[^\W\d_]{2,}", title.casefold())
    head = f"{title} {main_text[:6000]}"
    lowered = head.casefold()
    markers = tuple(
        name
        for name, pattern in _MARKERS.items()
        if any(hint in lowered for hint in _MARKER_HINTS[name]) and pattern.search(head)
    )
    return Fingerprint(
        title=" ".join(title.split())[:300],
        sketch=tuple(hashes[:SKETCH_SIZE]),
        shingle_count=len(shingles),
        words=len(words),
        language=_reference_language(words),
        terms=_reference_terms(words, title_words),
        markers=markers,
    )


def reference_content_hash(main_text: str) -> str | None:
    normalised = freshness._normalise_words(" ".join(main_text.casefold().split()))
    if len(normalised) < 3:
        return None
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------- the texts

_VOCABULARY = tuple(
    (  # noqa: SIM905 - a paragraph of words reads better than a list
        "Biblioteket Öppettider SÖNDAG måndag Tisdag läsning för små och stora är på av "
        "Ärende Åtgärd Översikt Straße STRASSE µg ǅemal ΣΟΦΙΑ σοφίας ﬁnans İstanbul "
        "the and of page Read Library digital Delaktighet informationskunnighet "
        "källkritik kompetens rapport statistik agenda strategi region kommun "
        "m² CO₂ ½-liter x³ ١٢٣ ４２ ⅷ café naïve Ærø Øresund Ålands façade "
        "(hej) «citat» ”Svenska” ’enkel’ —tankstreck— …och* #tag a b ab_cd x-y "
        "2021-03-04 3 mars 2021 26th of October 2018 1 234 besökare 12:30 "
        "nr.5 v2 2a 10/12/2020 5.6.2019 casino free spins domain for sale "
        "projektet är avslutat this site is no longer maintained"
    ).split()
)
_SPACES = (" ", " ", " ", "  ", "\n", "\t", "\xa0", " \r\n ", "\x1c", "\u2028", "\u3000", "\u2009")
# Words a latin-1 text can hold, but for the two that fold out of it (µ, ß).
_LATIN1_VOCABULARY = tuple(
    word for word in _VOCABULARY if max(word) <= "\xff" and "ß" not in word and "µ" not in word
)


def _text(rng: random.Random, words: int, latin1: bool = False) -> str:
    vocabulary = _LATIN1_VOCABULARY if latin1 else _VOCABULARY
    spaces = _SPACES[:-3] if latin1 else _SPACES
    return "".join(rng.choice(vocabulary) + rng.choice(spaces) for _ in range(words))


def _texts() -> list[tuple[str, str]]:
    rng = random.Random(12)
    texts = [
        ("", ""),
        ("Titel", "ett"),
        ("Titel", "ett två"),
        ("Titel", "ett två tre"),
        ("Öppettider | Biblioteket", "Öppettider i sommar: 10–16, söndag stängt."),
        ("T", "a" * 20000),
        ("T", "1" * 3000 + " ord " + "2" * 10),
        ("T", " ".join(str(n) for n in range(3000))),  # digits everywhere
        ("T", "ord " * (MAX_WORDS + 500)),
        ("T", "ß" + "ord " * 3000),
        ("Casino", "Välkomstbonus och free spins på vårt nätcasino. " * 40),
        ("Nätcasino och jackpot", "Biblioteket har öppet i sommar, läs mer här. " * 30),
        # "under" is a stopword of both languages: it counts for neither.
        ("", "under " * 10 + "the " * 4 + "och " * 3),
    ]
    for number in range(40):
        latin1 = number % 2 == 1  # the latin-1 fast paths, too
        size = rng.choice((3, 30, 300, 1500, 2600, 4000))
        texts.append((_text(rng, rng.randint(0, 6), latin1), _text(rng, size, latin1)))
    for size in range(60):  # every short length: the 3-gram edges
        texts.append(("", " ".join(f"ord{n % 7}" for n in range(size))))
    return texts


TEXTS = _texts()


def test_the_texts_take_both_ways():
    latin1 = [text for _, text in TEXTS if text and max(text) <= "\xff"]
    assert len(latin1) > 40
    assert len(TEXTS) - len(latin1) > 20


# ------------------------------------------------------------------------- the tests


@pytest.mark.parametrize(("title", "text"), TEXTS)
def test_a_fingerprint_is_what_the_plain_code_made(title: str, text: str):
    assert fingerprint.of_text(title, text) == reference_of_text(title, text)
    squashed = " ".join(text.split())
    assert fingerprint.of_text(title, squashed) == reference_of_text(title, squashed)


@pytest.mark.parametrize(("title", "text"), TEXTS)
def test_a_content_hash_is_what_the_plain_code_made(title: str, text: str):
    expected = reference_content_hash(text)
    assert freshness.content_hash(text) == expected
    assert freshness.content_hash(" ".join(text.split()), squashed=True) == expected


def test_casefold_is_str_casefold_for_every_character_and_mixture():
    characters = [chr(code) for code in range(0x300)] + list("–’€ΣςﬁİǅẞµßΩ\u0130\U0001d400")
    for char in characters:
        assert freshness.casefold(char) == char.casefold(), repr(char)
        latin1 = f"Åäö {char} ÉÑ"
        assert freshness.casefold(latin1) == latin1.casefold(), repr(char)
    rng = random.Random(3)
    for _ in range(300):
        text = "".join(rng.choice(characters) for _ in range(rng.randint(0, 40)))
        assert freshness.casefold(text) == text.casefold(), repr(text)
        cut = rng.randint(0, len(text))  # folding is per character: a text can be cut
        assert freshness.casefold(text[:cut]) + freshness.casefold(text[cut:]) == text.casefold()
    # Mostly latin-1 with a few wider runs (dashes, quotes, Greek, ligatures), and text
    # in another script, whose many runs go to str.casefold as a whole.
    latin1 = [chr(code) for code in range(0x100) if chr(code) not in "ßµ"] + [" "] * 40
    wide = list("–’“”€…ΣΑΣςﬁİǅẞΩ\u0130\U0001d400Ж")
    for _ in range(200):
        text = "".join(
            rng.choice(wide) if rng.random() < 0.02 else rng.choice(latin1)
            for _ in range(rng.randint(0, 3000))
        )
        assert freshness.casefold(text) == text.casefold(), repr(text)
    for text in ("ΣΟΦΙΑ σοφίας " * 500, "Ärende – ’ok’ " * 500, "Ж" + "a" * 100):
        assert freshness.casefold(text) == text.casefold(), repr(text)


def test_fold_digits_is_the_digit_regex():
    texts = [
        "", "1", "ab", "#1#", "1a22b333", "a 2021-03-04 b", "x9", "9x", "ä 12 ö",
        "٣ ١٢ 1", "４２ 7", "x² ½ ⅷ 3", "10–12 ’99", "– ٣ – 1", "–1" * 500, "ß 12",
        "ö" + "7" * 2500, " ".join("1" * 2100),
    ]  # fmt: skip
    rng = random.Random(5)
    alphabet = "0123456789 aäöÅ#-:./٣４²–’"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(500)]
    for text in texts:
        assert freshness.fold_digits(text) == _DIGITS.sub("#", text), repr(text)


def _words_with_large_crcs(count: int) -> list[str]:
    """Words whose CRC-32 is near 2**32: the largest products the lanes must hold."""
    found = []
    number = 0
    while len(found) < count:
        word = f"w{number}"
        if zlib.crc32(word.encode()) > 0xFFF00000:
            found.append(word)
        number += 1
    return found


def test_shingle_hashes_are_the_loop_over_the_3_grams():
    rng = random.Random(7)
    large = _words_with_large_crcs(40)
    lists = [[], ["a"], ["a", "b"], ["a", "b", "c"], ["a", "a", "a", "a"], large]
    lists += [[rng.choice(large) for _ in range(300)]]
    lists += [[rng.choice(_VOCABULARY).casefold() for _ in range(rng.randint(0, 2000))]
              for _ in range(30)]  # fmt: skip
    for words in lists:
        expected = _reference_shingles(words)
        assert fingerprint._shingle_hashes(words) == expected
        assert fingerprint._shingle_hashes(words, Counter(words)) == expected


def test_the_sketch_is_the_smallest_hashes_sorted():
    rng = random.Random(9)
    sets = [set(), {5}, set(range(200)), {rng.getrandbits(32) for _ in range(129)}]
    sets += [{rng.getrandbits(32) for _ in range(rng.randint(0, 5000))} for _ in range(30)]
    # Not spread evenly: the cheap path's threshold finds too few and all are sorted.
    sets += [
        {0xFFFFFFFF - rng.getrandbits(20) for _ in range(1000)},
        set(range(10**6, 10**6 + 900)),
    ]
    sets += [set(range(50)) | {0xFFFFFFFF - n for n in range(1000)}]  # a few below it
    for shingles in sets:
        assert fingerprint._sketch(shingles) == heapq.nsmallest(SKETCH_SIZE, shingles)
