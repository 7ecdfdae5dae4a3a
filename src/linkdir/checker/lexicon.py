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

# Hedged, as not-found pages often are: "Sidan kan ha flyttats eller tagits bort".
_SV_HEDGE = (
    r"(?:har\s+(?:kanske\s+|troligen\s+|antagligen\s+|eventuellt\s+|möjligen\s+)?|kan\s+ha\s+)?"
)

# Subjects: what a site says is gone.
_SV_THING = (
    r"(?:sidan|webbsidan|dokumentet|filen|artikeln|innehållet|informationen|tjänsten|"
    r"e-tjänsten|kursen|publikationen|rapporten|materialet|resursen|nyheten|länken|"
    r"evenemanget|aktiviteten|utbildningen|boken)"
)
_NO_THING = r"(?:siden|nettsiden|dokumentet|filen|artikkelen|innholdet|tjenesten|ressursen|lenken)"
# (Danish and Norwegian may set the relative clause off with commas: "Siden, du leder
# efter, findes ikke".)
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

# For a while, and down: the two halves of "Tjänsten är tillfälligt otillgänglig". (English
# "down"/"offline" alone are too common to mean it; the patterns below say where they do.)
_TEMPORARILY = r"(?:tillfälligt|temporarily|midlertidig\w*|tilapäisesti)"
_DOWN_NORDIC = (
    r"(?:otillgänglig\w*|nere|ur\s+funktion|utilgjengelig|utilgængelig|ikke\s+tilgængelig|nede|"
    r"ute\s+av\s+drift|ude\s+af\s+drift|poissa\s+käytöstä|pois\s+käytöstä|ei\s+käytettävissä)"
)

# A whole short sentence: what a status message is ("Hörandet kunde inte hittas."), unlike
# the same words inside a longer one ("Den försvunna mannen kunde inte hittas trots …").
_SENTENCE_START = r"(?:^|(?<=[.!?] ))"
_SENTENCE_END = r"\s*(?:[.!]|$)"

NOT_FOUND = [
    # Swedish (also Finland-Swedish)
    rf"\b{_SV_THING}\s+{_YOU_LOOK_SV}(?:kunde\s+inte\s+hittas|kan\s+(?:inte|ej)\s+hittas|"
    r"gick\s+inte\s+att\s+hitta|går\s+inte\s+att\s+hitta|hittades\s+inte|hittas\s+inte|"
    r"finns\s+inte|fanns\s+inte|saknas|existerar\s+inte|verkar\s+inte\s+(?:finnas|"
    r"existera)|kan\s+(?:inte|ej)\s+visas|kunde\s+inte\s+visas)\b",
    r"\b(?:vi\s+)?(?:kunde|kan|hittade|hittar|verkar)\s+(?:tyvärr\s+)?inte\s+(?:kunna\s+)?"
    r"(?:hitta\s+)?(?:sidan|webbsidan|webbplatsen|sajten|adressen|dokumentet|filen|den\s+"
    r"sida(?:n)?|någon\s+sida|det\s+du\s+(?:söker|letar\s+efter)|den\s+här\s+sidan)\b",
    r"\b(?:den\s+här|denna)\s+sida(?:n)?\s+(?:finns\s+inte|existerar\s+inte)\b",
    r"\bingen\s+sida\s+(?:hittades|finns|med\s+den\s+adressen)\b",
    r"\bsidan\s+(?:är\s+)?borttagen\b",
    # Inverted after an adverbial (Swedish puts the verb second): "Av någon anledning
    # hittas inte sidan", "Tyvärr finns inte sidan längre".
    rf"\b(?:hittas|hittades|finns|fanns|existerar)\s+(?:tyvärr\s+)?(?:inte|ej)\s+(?:längre\s+)?"
    rf"{_SV_THING}\b",
    # A terse status sentence about any one thing: "Hörandet kunde inte hittas."
    rf"{_SENTENCE_START}[\wåäö-]{{3,}}(?:et|en|n)\s+(?:kunde|kan)\s+(?:inte|ej)\s+hittas"
    rf"{_SENTENCE_END}",
    r"\bhoppsan[!,.]?\s+(?:nu\s+)?(?:blev\s+det\s+fel|här\s+var\s+det\s+tomt|sidan)\b",
    r"\bhär\s+(?:finns|fanns)\s+(?:det\s+)?(?:ingenting|inget)\b",
    # Norwegian
    rf"\b{_NO_THING},?\s+{_YOU_LOOK_NO}(?:finnes\s+ikke|fins\s+ikke|eksisterer\s+ikke|ikke\s+"
    r"finnes|ikke\s+fins|ikke\s+eksisterer|ble\s+"
    r"ikke\s+funnet|kunne\s+ikke\s+(?:bli\s+)?(?:funnet|finnes)|er\s+ikke\s+funnet|ikke\s+"
    r"funnet)\b",
    r"\bfant\s+ikke\s+(?:siden|den\s+siden)\b",
    rf"\b{_NO_THING},?\s+{_YOU_LOOK_NO}mangler\b",
    rf"{_SENTENCE_START}[\wæøå-]{{3,}}\s+(?:ble|blev)\s+ikke\s+(?:funnet|fundet){_SENTENCE_END}",
    r"\bside(?:n)?\s+(?:ble\s+)?ikke\s+funnet\b",
    r"\bvi\s+(?:kan|kunne)\s+(?:dessverre\s+)?ikke\s+finne\s+(?:siden|den\s+siden|det\s+du)\b",
    # Danish
    rf"\b{_DA_THING},?\s+{_YOU_LOOK_DA}(?:findes\s+ikke|fines\s+ikke|eksisterer\s+ikke|blev\s+"
    r"ikke\s+fundet|kunne\s+ikke\s+findes|kan\s+ikke\s+findes|er\s+ikke\s+fundet)\b",
    r"\bside(?:n)?\s+(?:blev\s+)?ikke\s+fundet\b",
    r"\bvi\s+(?:kan|kunne)\s+(?:desværre\s+)?ikke\s+finde\s+(?:den\s+side|siden|det\s+du)\b",
    r"\bukendt\s+side\b",
    rf"\b{_DA_THING},?\s+{_YOU_LOOK_DA}mangler\b",
    # Finnish
    r"\b(?:etsimääsi\s+|hakemaasi\s+|kaipaamasi\s+|pyytämääsi\s+)?sivua?\b[^.!?]{0,40}?\bei\s+"
    r"(?:valitettavasti\s+)?(?:löytynyt|löydy|ole\s+olemassa|löytänyt)\b",
    r"\bsivu(?:a)?\s+ei\s+(?:löytynyt|löydy)\b",
    rf"\b{_FI_THING}\s+puuttuu\b",
    rf"{_SENTENCE_START}[\wäö-]{{3,}}\s+ei\s+löytynyt{_SENTENCE_END}",
    # English
    rf"\b{_EN_THING}\s+{_YOU_LOOK_EN}(?:was\s+|is\s+|has\s+been\s+)?not\s+found\b",
    rf"{_SENTENCE_START}[a-z-]{{3,}}\s+(?:was\s+)?not\s+found{_SENTENCE_END}",
    rf"\b{_EN_THING}s?\s+{_YOU_LOOK_EN}(?:could\s*n[o']?t|can\s*n?[o']?t|cannot|can't|"
    r"could\s+not)\s+(?:be\s+)?(?:found|located)\b",
    rf"\b{_EN_THING}\s+{_YOU_LOOK_EN}(?:does\s*n[o']?t|did\s*n[o']?t|does\s+not|no\s+"
    r"longer)\s+exists?\b",
    rf"\b{_EN_THING}\s+{_YOU_LOOK_EN}(?:is\s+not|isn't)\s+(?:here|there|available)\b",
    r"\bwe\s+(?:can't|cannot|can\s+not|could\s*n[o']?t|were\s+unable\s+to|are\s+unable\s+to)"
    r"\s+(?:seem\s+to\s+)?find\s+(?:the|that|this|your|what|a)\b",
    rf"\b{_EN_THING}\s+{_YOU_LOOK_EN}(?:is|are|has\s+gone|seems\s+to\s+be|appears\s+to\s+be)\s+"
    r"missing\b",
    r"\bthere(?:'s|\s+is)\s+nothing\s+(?:here|to\s+see\s+here)\b",
    r"\bthe\s+requested\s+(?:url|page|resource|document|file)\b[^.]{0,60}\bnot\s+(?:be\s+)?"
    r"(?:found|available|exist)\b",
    r"\bno\s+(?:such\s+)?page\s+(?:found|exists|here)\b",
    r"\bnothing\s+(?:was\s+)?found\s+(?:at\s+this\s+(?:location|address)|here)\b",
    r"\bthere(?:'s|\s+is)\s+no\s+page\s+here\b",
    r"\bis\s*n[o']?t\s+there\s+any\s*more\b",
]

REMOVED = [
    rf"\b{_SV_THING}\s+{_YOU_LOOK_SV}{_SV_HEDGE}(?:tagits\s+bort|tagit\s+bort|raderats|avpublicerats|"
    r"upphört|avvecklats|plockats\s+bort)\b",
    rf"\b{_SV_THING}\s+{_YOU_LOOK_SV}(?:är|finns)\s+(?:inte|ej)\s+längre\s+(?:tillgänglig|tillgängligt|"
    r"tillgängliga|kvar|publicerad|publicerat|aktuell|aktuellt|aktiv|aktivt)\b",
    rf"\b{_SV_THING}\s+{_YOU_LOOK_SV}finns\s+(?:inte|ej)\s+längre\b",
    rf"\b{_SV_THING}\s+{_YOU_LOOK_SV}är\s+(?:borttagen|borttaget|raderad|raderat|avpublicerad|avpublicerat|"
    r"arkiverad|arkiverat)\b",
    rf"\b{_NO_THING},?\s+{_YOU_LOOK_NO}(?:er|har\s+blitt|ble|kan\s+ha\s+blitt|kan\s+være)\s+(?:fjernet|slettet|avpublisert|avviklet)\b",
    rf"\b{_NO_THING},?\s+{_YOU_LOOK_NO}(?:er|finnes)\s+ikke\s+(?:lenger|lengre)\s*"
    r"(?:tilgjengelig)?\b",
    rf"\b{_DA_THING},?\s+{_YOU_LOOK_DA}(?:er|er\s+blevet|blev|kan\s+være(?:\s+blevet)?|er\s+muligvis"
    r"(?:\s+blevet)?)\s+(?:fjernet|slettet|nedlagt)\b",
    rf"\b{_DA_THING},?\s+{_YOU_LOOK_DA}(?:er|findes)\s+ikke\s+længere\s*(?:tilgængelig)?\b",
    rf"\b{_FI_THING}\s+on\s+(?:ehkä\s+|mahdollisesti\s+|voitu\s+|saatettu\s+)?(?:poistettu|"
    r"poistunut|lakkautettu|poistaa)\b",
    r"\bei\s+ole\s+enää\s+(?:saatavilla|käytössä|olemassa)\b",
    rf"\b{_EN_THING}\s+{_YOU_LOOK_EN}(?:has\s+been|was|is|have\s+been|(?:may|might|could)\s+have\s+"
    r"been|has\s+(?:probably|possibly)\s+been)\s+(?:removed|deleted|withdrawn|"
    r"archived|unpublished|taken\s+down|retired|discontinued)\b",
    rf"\b{_EN_THING}\s+{_YOU_LOOK_EN}(?:is|are)\s+no\s+longer\s+(?:available|online|accessible|"
    r"published|offered|active)\b",
]

MOVED = [
    rf"\b{_SV_THING}\s+{_YOU_LOOK_SV}{_SV_HEDGE}(?:flyttats|flyttat|fått\s+en\s+ny\s+adress|bytt\s+adress)\b",
    rf"\b{_NO_THING},?\s+{_YOU_LOOK_NO}(?:har\s+(?:blitt\s+)?flyttet|er\s+flyttet|kan\s+ha\s+(?:blitt\s+)?"
    r"flyttet|kan\s+være\s+flyttet)\b",
    rf"\b{_DA_THING},?\s+{_YOU_LOOK_DA}(?:er\s+(?:blevet\s+)?flyttet|kan\s+være\s+(?:blevet\s+)?flyttet|"
    r"er\s+muligvis\s+(?:blevet\s+)?flyttet|har\s+fået\s+en\s+ny\s+adresse)\b",
    rf"\b{_FI_THING}\s+on\s+(?:ehkä\s+|mahdollisesti\s+|voitu\s+|saatettu\s+)?(?:siirretty|siirtää)\b",
    rf"\b(?:this|the)\s+{_EN_THING}\s+has\s+(?:been\s+)?(?:moved|relocated)\b",
    rf"\b{_EN_THING}\s+{_YOU_LOOK_EN}(?:has|(?:may|might|could)\s+have)\s+(?:been\s+)?(?:moved|"
    r"relocated)\b",
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
    # An event page after the event: "Evenemanget har redan ägt rum", "This event has ended".
    r"\b(?:evenemanget|aktiviteten|föreställningen|konserten|kursen|utbildningen|"
    r"webbinariet)\s+(?:har\s+(?:redan\s+)?(?:ägt\s+rum|avslutats|passerat|tagit\s+slut)|är\s+"
    r"(?:redan\s+)?(?:avslutad|avslutat|över|slut))\b",
    r"\b(?:arrangementet|kurset|forestillingen|konserten)\s+(?:er|har)\s+(?:allerede\s+)?"
    r"(?:avsluttet|afsluttet|overstået|vært|været)\b",
    r"\b(?:etsimäsi\s+|hakemasi\s+)?(?:tapahtuma|tapahtumat|kurssi|koulutus|ilmoitus|tarjous)\s+"
    r"on\s+(?:jo\s+)?(?:ehtinyt\s+)?(?:päättyä|päättynyt|päättyneet|mennyt|ohi)\b",
    r"\b(?:this|the)\s+(?:event|course|webinar|performance|session)\s+(?:has\s+)?(?:already\s+)?"
    r"(?:ended|passed|finished|taken\s+place|been\s+held)\b",
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
    # An outage or service break named as such: "Service break in Haitaton", "Driftstörning".
    r"\b(?:service|maintenance)\s+break\b|\b(?:serviceavbrott|underhållsavbrott|driftavbrott|"
    r"driftsavbrott|driftstörning|driftsavbrudd|driftsforstyrrelse|palvelukatko|käyttökatko)\b",
    # "Tjänsten är tillfälligt otillgänglig", "temporarily unavailable": down for a while.
    rf"\b{_TEMPORARILY}\s+(?:[\wäöåæø]+\s+)?(?:{_DOWN_NORDIC}|unavailable|down|offline)\b",
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
    "here", "available", "ägt", "avslut", "afslut", "overstået", "vært", "været", "päätty",
    "mennyt", "ohi", "ended", "passed", "finished", "held", "över", "slut", "missing",
    "mangler", "puuttuu", "nothing", "hittar", "tillfälligt", "temporarily", "midlertidig",
    "tilapäisesti", "siirtää", "poistaa", "break", "avbrott", "störning", "avbrudd",
    "forstyrrelse", "katko",
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
    r"uppstår|oppstår|opstår|indicates|indikerar|tyder\s+på|viser\s+at|osoittaa|"
    # A message reported, not shown: "404 - meddelande i webbläsaren: webbsidan går inte …"
    r"(?:fel)?meddelande[nt]?|message|melding(?:en)?|meddelelse(?:n)?|viesti)\b[^.!?]{0,80}$"
)

_TERM = r"[\w-]+(?:\s+[\w-]+){0,3}?"
# A glossary entry opens by defining its term: "A dead link or broken link is a link …",
# "Webbadress - den text man anger …". No status page begins like that.
DEFINES = re.compile(
    r"^(?:(?:an?|the|en|ett|et)\s+)?(?!(?:det|den|detta|denna|dette|denne|this|that|it|"
    r"sidan|siden|sivu|page|we|vi|you|du|me)\b)"
    rf"{_TERM}(?:\s+(?:or|eller)\s+{_TERM})?\s+(?:is|är|er)\s+(?:an?|en|ett|et|ei)\s"
    r"|^(?!\d)[\w-]+(?:\s+[\w-]+){0,2}\s+[-:]\s+(?:den|det|de|en|ett|the|an?)\s+[\w-]+\s+"
    r"(?:som|man|that|which|used|används|for|för)\b"
)

# A maintenance notice in words no phrase above has: what is being done to the site
# ("underhåll", "vi uppdaterar", "huolletaan", "vedligeholdelse") together with "for a
# while" or "down" ("återkom senare", "snart tilbage", "kokeile uudestaan",
# "tillfälligt otillgänglig"). Read on short pages only.
_MAINTAINED = re.compile(
    r"\b(?:underhåll\w*|uppdaterar|uppdateras(?!\s+(?:löpande|kontinuerligt|regelbundet|"
    r"varje|dagligen|automatiskt))|vedlikehold\w*|oppdaterer|oppdateres(?!\s+(?:løpende|"
    r"fortløpende|jevnlig|regelmessig))|vedligehold\w*|opdaterer|opdatere|opdateres(?!\s+"
    r"(?:løbende|jævnligt|regelmæssigt))|huolto\w*|huollo\w*|huolle\w*|ylläpito\w*|"
    r"päivitetään(?!\s+(?:jatkuvasti|säännöllisesti))|maint[ae]i?nance|upgrad(?:e|es|ing)|"
    r"updating|being\s+updated|(?:while|as)\s+we\s+(?:fix|repair|update|upgrade|improve)\w*|"
    r"we(?:'re|\s+are)\s+(?:fixing|updating|upgrading|improving|working\s+on))\b"
)
# Every word _MAINTAINED can match contains one of these.
_MAINTAINED_HINTS = (
    "underhåll", "uppdater", "vedlikehold", "oppdater", "vedligehold", "opdater", "huol",
    "ylläpito", "päivitetään", "maint", "upgrad", "updating", "being updated", "while we",
    "as we", "we're", "we are",
)  # fmt: skip
_FOR_A_WHILE = re.compile(
    r"\b(?:återkom\w*\s+(?:senare|om|igen)|försök\s+(?:igen\s+)?(?:senare|om)|kom\s+tillbaka\s+"
    r"(?:senare|om|snart)|snart\s+tillbaka|tillbaka\s+(?:om|inom|snart)|inom\s+kort|(?:online|"
    r"uppe)\s+igen|om\s+problemet\s+kvarstår|snar\s+framtid|prøv\s+(?:igjen\s+|igen\s+)?"
    r"(?:senere|om)|kom\s+tilbake\s+(?:senere|om|snart)|snart\s+tilbake|kom\s+tilbage\s+(?:senere|"
    r"om|snart)|snart\s+tilbage|(?:oppe|online)\s+igjen|oppe\s+igen|hvis\s+problemet\s+"
    r"(?:vedvarer|fortsætter)|kokeile\s+uudestaan|yritä\s+(?:myöhemmin|uudelleen|uudestaan)|"
    r"hetken|pian\s+takaisin|try\s+again|come\s+back\s+(?:later|soon|in)|check\s+back|be\s+back|"
    r"back\s+(?:online|up)|shortly|as\s+soon\s+as\s+(?:we|possible)|if\s+the\s+problem\s+"
    rf"persists|{_TEMPORARILY}|{_DOWN_NORDIC}|(?:is|are|currently)\s+(?:down|offline|unavailable))\b"
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


def defines(text: str) -> bool:
    """Whether folded ``text`` opens by defining a term (a glossary or dictionary entry)."""
    return DEFINES.match(text) is not None


def maintenance_notice(text: str) -> re.Match[str] | None:
    """Work on the site and "for a while" in folded ``text``: the work's words, or None."""
    if not any(hint in text for hint in _MAINTAINED_HINTS):  # ~1 µs; the regex ~70 µs
        return None
    found = _MAINTAINED.search(text)
    return found if found is not None and _FOR_A_WHILE.search(text) else None


def explains(text: str) -> bool:
    """Whether folded ``text`` defines an error rather than reporting one."""
    return DEFINITION.search(text) is not None


def find_status(text: str) -> tuple[str, re.Match[str]] | None:
    """The first wording in folded ``text`` that is not inside an explanation."""
    for kind, match in _matches(text):
        if not TOPIC_CUES.search(text, max(0, match.start() - 80), match.start()):
            return kind, match
    return None
