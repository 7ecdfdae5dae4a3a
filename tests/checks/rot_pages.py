"""Pages for the reference-rot tests: a resource, its benign later versions, its replacements.

Written like the real thing: site navigation, a footer, scripts and styles around the main
text, Swedish and English.
"""

from __future__ import annotations

AGENDA_TITLE = "Digital agenda för Västerbotten | Region Västerbotten"
AGENDA = [
    "Digital agenda för Västerbotten är regionens gemensamma strategi för hur länet ska ta "
    "vara på digitaliseringens möjligheter. Agendan togs fram tillsammans med länets femton "
    "kommuner, Umeå universitet, Luleå tekniska universitet och civilsamhället.",
    "Målet är att alla invånare ska kunna delta i det digitala samhället. Biblioteken har en "
    "särskild roll: de erbjuder stöd med e-legitimation, e-tjänster och källkritik, och når "
    "grupper som andra aktörer har svårt att nå.",
    "Agendan har fyra insatsområden: digital kompetens, bredband i hela länet, digitala "
    "offentliga tjänster och innovation i näringslivet. För varje område finns mål, "
    "indikatorer och en ansvarig aktör.",
    "Uppföljningen sker årligen i en rapport till regionstyrelsen. Rapporten visar hur "
    "bredbandsutbyggnaden går, hur många invånare som använder e-tjänster och hur "
    "kommunernas arbete med digital delaktighet utvecklas.",
    "Kontakta regionens utvecklingsavdelning om du vill veta mer om agendan eller delta i "
    "arbetet med nästa version.",
]

REPORT_TITLE = "Digital inclusion in public libraries – annual report"
REPORT = [
    "This report describes how public libraries support people who are not yet online. It "
    "draws on a survey of 290 library services and on interviews with staff and visitors in "
    "twelve municipalities.",
    "Most libraries now offer drop-in help with digital identification, online banking and "
    "public e-services. Demand has grown since the pandemic, especially among older people "
    "and among newly arrived residents who are still learning the language.",
    "The report recommends that libraries coordinate their training with adult education "
    "providers, that staff get time for their own skills development, and that national "
    "agencies fund long-term programmes rather than short projects.",
    "Appendices list the survey questions, the participating library services and the "
    "indicators used to follow digital inclusion over time.",
]


def page(
    title: str,
    paragraphs: list[str],
    *,
    nav: tuple[str, ...] = ("Start", "Om regionen", "Kontakt"),
    updated: str = "2023-04-01",
    cookie: bool = False,
    sidebar: list[str] | None = None,
    head: str = "",
    lang: str = "sv",
    wrapper: str = "main",
) -> str:
    """A full HTML page around ``paragraphs``."""
    links = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in nav)
    banner = (
        '<div class="cookie-banner"><p>Vi använder kakor för att webbplatsen ska fungera. '
        "Genom att fortsätta godkänner du att vi använder kakor.</p>"
        "<button>Godkänn</button></div>"
        if cookie
        else ""
    )
    aside = (
        '<aside class="news"><h2>Nyheter</h2>'
        + "".join(f"<p>{item}</p>" for item in sidebar)
        + "</aside>"
        if sidebar
        else ""
    )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:sans-serif}.nav{display:flex}</style>"
        "<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}</script>"
        f"{head}</head><body>{banner}<header><nav><ul>{links}</ul></nav></header>"
        f"<{wrapper}><h1>{title.split(' | ')[0]}</h1>{body}<p>Uppdaterad {updated}</p>"
        f"</{wrapper}>{aside}<footer><p>Region Västerbotten, 901 89 Umeå. Telefon 090-16 00 00."
        "</p></footer></body></html>"
    )


def agenda(**kwargs: object) -> str:
    return page(AGENDA_TITLE, AGENDA, **kwargs)  # type: ignore[arg-type]


def report(**kwargs: object) -> str:
    kwargs.setdefault("nav", ("Home", "Publications", "Contact"))
    kwargs.setdefault("lang", "en")
    return page(REPORT_TITLE, REPORT, **kwargs)  # type: ignore[arg-type]


# Benign later versions -------------------------------------------------------------------

EDITED = [
    AGENDA[0],
    AGENDA[1]
    .replace("särskild roll", "viktig roll")
    .replace("svårt att nå", "svårt att nå ut till"),
    AGENDA[2],
    AGENDA[3].replace("årligen", "varje år"),
    AGENDA[4],
]
GROWN = [
    *AGENDA[:4],
    "Under 2025 kompletterades agendan med ett femte insatsområde om artificiell intelligens i "
    "offentlig sektor, efter önskemål från kommunerna och länets företagarorganisationer.",
    AGENDA[4],
]

# Replacements ------------------------------------------------------------------------------

CASINO_TITLE = "Bästa nätcasino 2026 – free spins och bonusar"
CASINO = [
    "Här hittar du de bästa casinon på nätet med svensk licens. Vi jämför välkomstbonusar, "
    "free spins och uttagstider så att du kan välja rätt spelbolag.",
    "Alla casinon i vår lista har BankID-inloggning och snabba uttag. Läs våra recensioner "
    "innan du gör din första insättning och spela alltid ansvarsfullt.",
    "Populära spel just nu är slots med progressiva jackpottar, live casino med riktiga "
    "dealers och klassiska bordsspel som roulette och blackjack.",
]
GROOMER_TITLE = "Hundtrim i Umeå – Pälsvården"
GROOMER = [
    "Välkommen till Pälsvården! Vi erbjuder klippning, trimning och bad för alla hundraser i "
    "vår salong på Ålidhem. Boka tid direkt på nätet eller ring oss.",
    "Vår frisör har tjugo års erfarenhet av rasspecifik trimning och tar särskilt väl hand om "
    "ängsliga och äldre hundar. Vi säljer också schampo, borstar och godis.",
    "Öppettider: måndag till fredag 8–17, lördagar efter överenskommelse. Parkering finns "
    "utanför entrén.",
]
OTHER_ORG_TITLE = "Kollektivtrafik och färdtjänst | Region Skåne"
OTHER_ORG = [
    "Region Skåne ansvarar för kollektivtrafiken i Skåne genom Skånetrafiken. Här kan du läsa "
    "om hur trafiken planeras, hur du ansöker om färdtjänst och vilka regler som gäller för "
    "sjukresor.",
    "Färdtjänst är för dig som har en funktionsnedsättning och inte kan resa med den vanliga "
    "kollektivtrafiken. Ansökan görs hos din kommun, som prövar ditt behov.",
    "Trafikförsörjningsprogrammet beslutas av regionfullmäktige och anger målen för "
    "kollektivtrafiken de kommande åren.",
]
TOMBSTONE = [
    "Projektet är avslutat. Digital agenda för Västerbotten pågick 2014–2020 och arbetet "
    "förs nu vidare inom regionens ordinarie verksamhet. Tack till alla som deltog!",
]
FOR_SALE_TITLE = "digitalagenda.se"
FOR_SALE = [
    "This website is for sale! Make us an offer. Serious enquiries only, please use the form "
    "below and we will get back to you within two working days.",
]
EN_CASINO_TITLE = "Top online casinos 2026 – best welcome bonus"
EN_CASINO = [
    "Compare the best online casinos with a licence. We review welcome bonuses, free spins "
    "and payout times so you can pick the right casino and start playing today.",
    "Popular games right now include slots with progressive jackpots, live casino with real "
    "dealers and classic table games such as roulette and blackjack.",
]
