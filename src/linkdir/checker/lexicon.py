"""How sites say a page is gone: real not-found, removed, moved, expired and maintenance wordings.

The phrases were collected from real sites and CMS themes (Swedish, Norwegian, Danish,
Finland-Swedish, Finnish, English); ``tests/checker/data/phrases.tsv`` records each one
with its source, and ``bench/checker/lexicon_eval.py`` measures the held-out half.

A phrase is *status-like* wording: a site telling the visitor about this very page
("Sidan du söker finns inte", "Siden blev ikke fundet"). Words alone ("404", "not
found") are a topic, not a verdict; :mod:`linkdir.checker.classify` weighs a match
with the page's shape (where it stands, how much else the page says).

Patterns run on :func:`fold` text (lower case, one kind of apostrophe and dash, single
spaces) and only on short windows: the title, the headings, the start and end of the
main text.
"""

from __future__ import annotations

import re

# Subjects: what a site says is gone.
_SV_THING = (
    r"(?:sidan|webbsidan|dokumentet|filen|artikeln|innehållet|informationen|tjänsten|"
    r"e-tjänsten|kursen|publikationen|rapporten|materialet|resursen|nyheten|länken|"
    r"evenemanget|aktiviteten|utbildningen|boken)"
)
_NO_THING = r"(?:siden|nettsiden|dokumentet|filen|artikkelen|innholdet|tjenesten|ressursen|lenken)"
_DA_THING = r"(?:siden|websiden|dokumentet|filen|artiklen|indholdet|tjenesten|linket)"
_EN_THING = (
    r"(?:page|webpage|web page|document|file|article|content|resource|item|post|"
    r"publication|report|course|service|link|event|url)"
)
_FI_THING = r"(?:sivu|sivua|sisältö|sisältöä|dokumentti|tiedosto|artikkeli|palvelu|linkki)"
_YOU_LOOK_SV = (
    r"(?:som\s+)?(?:du\s+(?:söker|sökte|letar\s+efter|letade\s+efter|försöker\s+nå|"
    r"försökte\s+nå|vill\s+nå|ville\s+nå|besöker|försökte\s+besöka|efterfrågar|har\s+"
    r"sökt|klickade\s+på)\s+)?"
)
_YOU_LOOK_NO = (
    r"(?:du\s+(?:leter\s+etter|lette\s+etter|ser\s+etter|prøver\s+å\s+nå|forsøkte\s+å\s+gå\s+"
    r"til|etterspurte|ba\s+om)\s*,?\s+)?"
)
_YOU_LOOK_DA = (
    r"(?:(?:som\s+)?du\s+(?:leder\s+efter|ledte\s+efter|søger|prøver\s+at\s+(?:finde|tilgå|"
    r"se|nå))\s*,?\s+)?"
)
_YOU_LOOK_EN = (
    r"(?:(?:that\s+)?you(?:'re|\s+are|\s+were)?\s+(?:looking\s+for|trying\s+to\s+(?:reach|"
    r"access|find|view|open)|requested|searched\s+for|wanted|followed|asked\s+for|seek)\s+"
    r"|(?:you\s+)?requested\s+)?"
)

NOT_FOUND = [
    # Swedish (also Finland-Swedish)
    rf"\b{_SV_THING}\s+{_YOU_LOOK_SV}(?:kunde\s+inte\s+hittas|kan\s+(?:inte|ej)\s+hittas|"
    r"gick\s+inte\s+att\s+hitta|går\s+inte\s+att\s+hitta|hittades\s+inte|hittas\s+inte|"
    r"finns\s+inte|fanns\s+inte|saknas|existerar\s+inte|verkar\s+inte\s+(?:finnas|"
    r"existera)|kan\s+(?:inte|ej)\s+visas|kunde\s+inte\s+visas)\b",
    r"\b(?:vi\s+)?(?:kunde|kan|hittade)\s+(?:tyvärr\s+)?inte\s+(?:hitta\s+)?(?:sidan|den\s+"
    r"sida(?:n)?|någon\s+sida|det\s+du\s+(?:söker|letar\s+efter)|den\s+här\s+sidan)\b",
    r"\b(?:den\s+här|denna)\s+sida(?:n)?\s+(?:finns\s+inte|existerar\s+inte)\b",
    r"\bingen\s+sida\s+(?:hittades|finns|med\s+den\s+adressen)\b",
    r"\bsidan\s+(?:är\s+)?borttagen\b",
    r"\bhoppsan[!,.]?\s+(?:nu\s+)?(?:blev\s+det\s+fel|här\s+var\s+det\s+tomt|sidan)\b",
    r"\bhär\s+(?:finns|fanns)\s+(?:det\s+)?(?:ingenting|inget)\b",
    # Norwegian
    rf"\b{_NO_THING}\s+{_YOU_LOOK_NO}(?:finnes\s+ikke|fins\s+ikke|eksisterer\s+ikke|ikke\s+"
    r"finnes|ikke\s+fins|ikke\s+eksisterer|ble\s+"
    r"ikke\s+funnet|kunne\s+ikke\s+(?:bli\s+)?(?:funnet|finnes)|er\s+ikke\s+funnet|ikke\s+"
    r"funnet)\b",
    r"\bfant\s+ikke\s+(?:siden|den\s+siden)\b",
    r"\bside(?:n)?\s+(?:ble\s+)?ikke\s+funnet\b",
    r"\bvi\s+(?:kan|kunne)\s+(?:dessverre\s+)?ikke\s+finne\s+(?:siden|den\s+siden|det\s+du)\b",
    # Danish
    rf"\b{_DA_THING}\s+{_YOU_LOOK_DA}(?:findes\s+ikke|fines\s+ikke|eksisterer\s+ikke|blev\s+"
    r"ikke\s+fundet|kunne\s+ikke\s+findes|kan\s+ikke\s+findes|er\s+ikke\s+fundet)\b",
    r"\bside(?:n)?\s+(?:blev\s+)?ikke\s+fundet\b",
    r"\bvi\s+(?:kan|kunne)\s+(?:desværre\s+)?ikke\s+finde\s+(?:den\s+side|siden|det\s+du)\b",
    r"\bukendt\s+side\b",
    # Finnish
    r"\b(?:etsimääsi\s+|hakemaasi\s+|kaipaamasi\s+|pyytämääsi\s+)?sivua?\b[^.!?]{0,40}?\bei\s+"
    r"(?:valitettavasti\s+)?(?:löytynyt|löydy|ole\s+olemassa|löytänyt)\b",
    r"\bsivu(?:a)?\s+ei\s+(?:löytynyt|löydy)\b",
    # English
    rf"\b{_EN_THING}\s+(?:was\s+|is\s+|has\s+been\s+)?not\s+found\b",
    rf"\b{_EN_THING}s?\s+{_YOU_LOOK_EN}(?:could\s*n[o']?t|can\s*n?[o']?t|cannot|can't|"
    r"could\s+not)\s+(?:be\s+)?(?:found|located)\b",
    rf"\b{_EN_THING}\s+{_YOU_LOOK_EN}(?:does\s*n[o']?t|did\s*n[o']?t|does\s+not|no\s+"
    r"longer)\s+exists?\b",
    rf"\b{_EN_THING}\s+{_YOU_LOOK_EN}(?:is\s+not|isn't)\s+(?:here|there|available)\b",
    r"\bwe\s+(?:can't|cannot|can\s+not|could\s*n[o']?t|were\s+unable\s+to|are\s+unable\s+to)"
    r"\s+find\s+(?:the|that|this|your|what|a)\b",
    r"\bthe\s+requested\s+(?:url|page|resource|document|file)\b[^.]{0,60}\bnot\s+(?:be\s+)?"
    r"(?:found|available|exist)\b",
    r"\bno\s+(?:such\s+)?page\s+(?:found|exists|here)\b",
    r"\bnothing\s+(?:was\s+)?found\s+(?:at\s+this\s+(?:location|address)|here)\b",
    r"\bthere(?:'s|\s+is)\s+no\s+page\s+here\b",
    r"\bis\s*n[o']?t\s+there\s+any\s*more\b",
]

REMOVED = [
    rf"\b{_SV_THING}\s+{_YOU_LOOK_SV}(?:har\s+)?(?:tagits\s+bort|tagit\s+bort|raderats|avpublicerats|"
    r"upphört|avvecklats|plockats\s+bort)\b",
    rf"\b{_SV_THING}\s+{_YOU_LOOK_SV}(?:är|finns)\s+(?:inte|ej)\s+längre\s+(?:tillgänglig|tillgängligt|"
    r"tillgängliga|kvar|publicerad|publicerat|aktuell|aktuellt|aktiv|aktivt)\b",
    rf"\b{_SV_THING}\s+finns\s+(?:inte|ej)\s+längre\b",
    rf"\b{_SV_THING}\s+är\s+(?:borttagen|borttaget|raderad|raderat|avpublicerad|avpublicerat|"
    r"arkiverad|arkiverat)\b",
    rf"\b{_NO_THING}\s+{_YOU_LOOK_NO}(?:er|har\s+blitt|ble)\s+(?:fjernet|slettet|avpublisert|avviklet)\b",
    rf"\b{_NO_THING}\s+(?:er|finnes)\s+ikke\s+(?:lenger|lengre)\s*(?:tilgjengelig)?\b",
    rf"\b{_DA_THING}\s+{_YOU_LOOK_DA}(?:er|er\s+blevet|blev)\s+(?:fjernet|slettet|nedlagt)\b",
    rf"\b{_DA_THING}\s+(?:er|findes)\s+ikke\s+længere\s*(?:tilgængelig)?\b",
    rf"\b{_FI_THING}\s+on\s+(?:poistettu|poistunut|lakkautettu)\b",
    r"\bei\s+ole\s+enää\s+(?:saatavilla|käytössä|olemassa)\b",
    rf"\b{_EN_THING}\s+{_YOU_LOOK_EN}(?:has\s+been|was|is|have\s+been)\s+(?:removed|deleted|withdrawn|"
    r"archived|unpublished|taken\s+down|retired|discontinued)\b",
    rf"\b{_EN_THING}\s+(?:is|are)\s+no\s+longer\s+(?:available|online|accessible|published|"
    r"offered|active)\b",
]

MOVED = [
    rf"\b{_SV_THING}\s+{_YOU_LOOK_SV}har\s+(?:flyttats|flyttat|fått\s+en\s+ny\s+adress|bytt\s+adress)\b",
    rf"\b{_NO_THING}\s+(?:har\s+(?:blitt\s+)?flyttet|er\s+flyttet)\b",
    rf"\b{_DA_THING}\s+(?:er\s+(?:blevet\s+)?flyttet|har\s+fået\s+en\s+ny\s+adresse)\b",
    rf"\b{_FI_THING}\s+on\s+siirretty\b",
    rf"\b(?:this|the)\s+{_EN_THING}\s+has\s+(?:been\s+)?(?:moved|relocated)\b",
    r"\bhas\s+moved\s+to\s+a\s+new\s+(?:address|location|url|home)\b",
]

EXPIRED = [
    r"\b(?:ansökningstiden|anmälningstiden|sista\s+ansökningsdag(?:en)?|sista\s+"
    r"anmälningsdag(?:en)?)\s+har\s+(?:gått\s+ut|passerat|löpt\s+ut)\b",
    r"\b(?:erbjudandet|annonsen|platsannonsen|kampanjen|länken|inbjudan|anmälan)\s+har\s+"
    r"(?:gått\s+ut|upphört|löpt\s+ut)\b",
    r"\b(?:annonsen|länken)\s+är\s+(?:inte\s+längre\s+aktiv|utgången|ogiltig)\b",
    r"\b(?:annonsen|lenken|tilbudet|stillingen)\s+(?:har\s+|er\s+)?utløpt\b",
    r"\b(?:annoncen|linket|tilbuddet|stillingen)\s+er\s+udløbet\b",
    r"\blinkki\s+on\s+(?:virheellinen\s+tai\s+)?vanhentunut\b",
    r"\b(?:this|the)\s+(?:link|offer|posting|job\s+posting|listing|page|invitation|"
    r"session)\s+(?:has\s+)?expired\b",
]

MAINTENANCE = [
    r"\b(?:webbplatsen|sidan|tjänsten|e-tjänsten|systemet)\s+(?:är\s+)?(?:tillfälligt\s+)?"
    r"(?:stängd|stängt|nere|otillgänglig|otillgängligt|ur\s+funktion)\s+(?:för|på\s+grund\s+"
    r"av)\s+underhåll\b",
    r"\b(?:underhåll|underhållsarbete)\s+pågår\b",
    r"\bgenomgår\s+(?:ett\s+)?(?:schemalagt\s+|planerat\s+)?underhåll\b",
    r"\b(?:schemalagt|planerat)\s+underhåll\b",
    r"\b(?:nettstedet|siden|tjenesten)\s+er\s+(?:midlertidig\s+)?(?:nede|utilgjengelig)\s+"
    r"(?:på\s+grunn\s+av|for)\s+vedlikehold\b",
    r"\bunder\s+(?:vedlikehold|vedligeholdelse)\b",
    r"\b(?:siden|hjemmesiden)\s+er\s+midlertidigt\s+utilgængelig\b",
    r"\bhuoltokatko\b",
    r"\b(?:sivusto|palvelu)\s+on\s+(?:tilapäisesti\s+)?(?:pois\s+käytöstä|suljettu)\s+huollon\s+"
    r"vuoksi\b",
    r"\b(?:(?:site|website|page|service)\s+is\s+)?(?:currently\s+)?(?:under|down\s+for)\s+"
    r"(?:scheduled\s+)?maint[ae]i?nance\b",
    r"\bwe(?:'ll|\s+will)\s+be\s+back\s+(?:soon|shortly)\b",
    r"\bperforming\s+(?:some\s+)?(?:scheduled\s+)?maintenance\b",
]

KINDS = {
    "not_found": NOT_FOUND,
    "removed": REMOVED,
    "moved": MOVED,
    "expired": EXPIRED,
    "maintenance": MAINTENANCE,
}

# The status word each phrase turns on. One scan finds these (a trie regex fails on
# the first letter almost everywhere); only the few phrases that contain a word found
# run, and only on the sentence around it. One big alternation of every phrase over the
# text cost 2 ms per page; this costs a few µs.
TRIGGERS = (
    "hitta", "finns", "fanns", "saknas", "existera", "visas", "borttag", "hoppsan",
    "funnet", "fundet", "findes", "fines", "finde", "finne", "fins", "eksisterer",
    "löyt", "löyd", "olemassa", "found", "exist", "there", "located", "find", "tagits",
    "tagit", "raderat", "avpublicer", "upphört", "avveckla", "plockats", "längre",
    "lenger", "lengre", "længere", "fjernet", "slettet", "avpublisert", "avviklet",
    "nedlagt", "poist", "lakkautettu", "enää", "removed", "deleted", "withdrawn",
    "archived", "unpublished", "taken", "retired", "discontinued", "flyttat", "adress",
    "flyttet", "siirretty", "moved", "relocated", "gått", "passerat", "löpt", "utløpt",
    "udløbet", "vanhentunut", "expired", "aktiv", "utgången", "ogiltig", "underhåll",
    "vedlikehold", "vedligeholdelse", "utilgængelig", "huolto", "huollon", "maint",
    "back", "ukendt", "no longer", "inget", "ingenting", "arkiver", "ukjent", "fant",
    "here", "available",
)  # fmt: skip


def _trie(words: tuple[str, ...]) -> str:
    tree: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:  # type: ignore[type-arg]
        branches = [re.escape(c) + build(sub) for c, sub in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(tree)


_TRIGGER = re.compile(_trie(TRIGGERS))
ENTRIES: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(phrase)) for kind, phrases in KINDS.items() for phrase in phrases
]
# trigger -> the phrases it can complete; a phrase with none would never be looked for
# (a test walks them).
BY_TRIGGER: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    trigger: [(kind, p) for kind, p in ENTRIES if trigger in p.pattern] for trigger in TRIGGERS
}
_BEFORE = 110  # how far a phrase may start before its status word
_AFTER = 60


# Explanations, not statuses: "a 404 error means the page could not be found", "om
# sidan inte hittas, …". A match right after one of these is a topic.
TOPIC_CUES = re.compile(
    r"\b(?:betyder|innebär|kallas|brukar|när|om|ifall|exempel|t\.ex\.|till\s+exempel|"
    r"means|meaning|mean|when|if|whenever|called|such\s+as|e\.g\.|example|why|how|what|"
    r"betyr|hvis|når|betyder|hvornår|tarkoittaa|kun|jos|varför|hur|vad|hvorfor|hvordan|"
    r"hvad|miksi|miten|mitä|because|since|occurs|eftersom|därför\s+att|fordi|fordi|koska|"
    r"uppstår|oppstår|opstår)\b[^.!?]{0,80}$"
)

# A definition: "404 är en standardfelkod …", "The HTTP 404 status code indicates that …",
# "En 404-feil er en HTTP-statuskode". A page that defines the error is about it.
DEFINITION = re.compile(
    r"\b(?:404|410|http|felkod(?:en)?|statuskod(?:en)?|status\s+code|error|feil(?:en)?|"
    r"fejl(?:en)?|virhe)\b[^.!?]{0,60}?\b(?:är|er|is|betyder|betyr|innebär|indikerar|"
    r"indicates|means|betecknar|refers\s+to|anger|tarkoittaa|on)\s+(?:en|ett|et|ei|an?|the|"
    r"att|at|that|one)\b"
)

_FOLD = str.maketrans(
    {
        "’": "'", "‘": "'", "´": "'", "`": "'", "–": "-", "—": "-", "‐": "-",
        "\u00ad": None, "\u200b": None, "”": '"', "“": '"', "«": '"', "»": '"',
    }
)  # fmt: skip


_FOLD_CHARS = tuple(chr(code) for code in _FOLD)


def fold(text: str) -> str:
    """Lower case, one apostrophe, one dash, single spaces: what the patterns expect."""
    lowered = text.lower()
    # ``translate`` with a dict costs ~3 µs even on a short title with nothing to
    # replace; a dozen ``in`` tests cost a tenth of that.
    for char in _FOLD_CHARS:  # noqa: SIM110 - a plain loop: any() with a generator is slower
        if char in lowered:
            lowered = lowered.translate(_FOLD)
            break
    return " ".join(lowered.split())


def _matches(text: str) -> list[tuple[str, re.Match[str]]]:
    found: list[tuple[str, re.Match[str]]] = []
    covered = -1
    for hit in _TRIGGER.finditer(text):
        candidates = BY_TRIGGER.get(hit.group(0))
        if not candidates or hit.start() < covered:
            continue
        low = text.rfind(" ", 0, max(0, hit.start() - _BEFORE)) + 1
        high = min(len(text), hit.end() + _AFTER)
        best: tuple[str, re.Match[str]] | None = None
        for kind, pattern in candidates:
            match = pattern.search(text, low, high)
            if match is not None and (best is None or match.start() < best[1].start()):
                best = (kind, match)
        if best is not None:
            found.append(best)
            covered = best[1].end()
    return found


def find(text: str) -> tuple[str, re.Match[str]] | None:
    """The first gone/maintenance wording in folded ``text``, with its kind."""
    found = _matches(text)
    return found[0] if found else None


def explains(text: str) -> bool:
    """Whether folded ``text`` defines an error rather than reporting one."""
    return DEFINITION.search(text) is not None


def find_status(text: str) -> tuple[str, re.Match[str]] | None:
    """The first wording in folded ``text`` that is not inside an explanation."""
    for kind, match in _matches(text):
        if not TOPIC_CUES.search(text, max(0, match.start() - 80), match.start()):
            return kind, match
    return None
