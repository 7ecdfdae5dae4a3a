"""Demo data for linkdir: curated links on digital participation, MIK and digital
competence for Swedish regional and public libraries.

The first six resources reproduce the links on Region Västerbotten's county library
(länsbibliotek) page from 2018; the rest are further real Swedish, Nordic, EU and UNESCO
resources. Some 2018-era URLs have since moved, which is what the link checker is for.

Pure data: no imports besides ``__future__``.
"""

from __future__ import annotations

TOPICS: list[dict[str, str]] = [
    {
        "slug": "digital-delaktighet",
        "name_sv": "Digital delaktighet",
        "name_en": "Digital participation",
        "description_sv": (
            "Insatser för att alla ska våga, vilja och kunna använda internet och digitala "
            "tjänster, och för att minska det digitala utanförskapet – inte minst bland äldre och "
            "sällananvändare."
        ),
        "description_en": (
            "Efforts to ensure that everyone dares, wants and is able to use the internet and "
            "digital services, and to reduce digital exclusion – not least among older people and "
            "infrequent users."
        ),
    },
    {
        "slug": "mik",
        "name_sv": "Medie- och informationskunnighet (MIK)",
        "name_en": "Media and information literacy (MIL)",
        "description_sv": (
            "Kunskaper och förmågor som behövs för att förstå mediernas roll, finna, analysera och "
            "kritiskt värdera information samt själv uttrycka sig och skapa innehåll i olika "
            "medier."
        ),
        "description_en": (
            "The knowledge and abilities needed to understand the role of the media, to find, "
            "analyse and critically evaluate information, and to express oneself and create "
            "content in different media."
        ),
    },
    {
        "slug": "digital-agenda",
        "name_sv": "Digitala agendor och strategier",
        "name_en": "Digital agendas and strategies",
        "description_sv": (
            "Nationella, regionala och europeiska agendor, strategier och policydokument för "
            "digitaliseringen av samhället."
        ),
        "description_en": (
            "National, regional and European agendas, strategies and policy documents for the "
            "digitalisation of society."
        ),
    },
    {
        "slug": "digital-kompetens-bibliotekspersonal",
        "name_sv": "Digital kompetens för bibliotekspersonal",
        "name_en": "Digital competence for library staff",
        "description_sv": (
            "Kompetensutveckling, lärplattformar och forskning om bibliotekspersonalens digitala "
            "kompetens, bland annat satsningen Digitalt först med användaren i fokus."
        ),
        "description_en": (
            "Professional development, learning platforms and research on the digital competence "
            "of library staff, including the national initiative Digitalt först med användaren i "
            "fokus."
        ),
    },
    {
        "slug": "statistik-och-rapporter",
        "name_sv": "Statistik och rapporter",
        "name_en": "Reports and statistics",
        "description_sv": (
            "Undersökningar, kartläggningar och rapporter om internetanvändning, digital kompetens "
            "och bibliotekens digitala arbete."
        ),
        "description_en": (
            "Surveys, mappings and reports on internet use, digital competence and the digital "
            "work of libraries."
        ),
    },
    {
        "slug": "e-tjanster-och-digital-service",
        "name_sv": "E-tjänster och digital service",
        "name_en": "E-services and digital public service",
        "description_sv": (
            "Stöd till invånare som behöver använda offentliga e-tjänster, digitala servicecenter "
            "och bibliotekens roll som plats för digital vägledning."
        ),
        "description_en": (
            "Support for residents who need to use public e-services, digital service centres and "
            "the role of libraries as places for digital guidance."
        ),
    },
    {
        "slug": "kallkritik",
        "name_sv": "Källkritik",
        "name_en": "Source criticism",
        "description_sv": (
            "Faktagranskning, källkritik och källtillit på nätet – metoder och material för att "
            "skilja på sant, falskt och vinklat."
        ),
        "description_en": (
            "Fact-checking, source criticism and source trust online – methods and materials for "
            "telling true, false and slanted information apart."
        ),
    },
    {
        "slug": "natverk-och-samverkan",
        "name_sv": "Nätverk och samverkan",
        "name_en": "Networks and cooperation",
        "description_sv": (
            "Nationella, regionala och europeiska nätverk och samarbeten mellan bibliotek, "
            "folkbildning, myndigheter och civilsamhälle."
        ),
        "description_en": (
            "National, regional and European networks and partnerships between libraries, adult "
            "education, public authorities and civil society."
        ),
    },
]

RESOURCES: list[dict[str, object]] = [
    # --- Region Västerbotten, länsbiblioteket: links on the 2018 page ---
    {
        "url": "https://svenskarnaochinternet.se/rapporter/svenskarna-och-internet-2018/",
        "title": "Svenskarna och internet 2018",
        "description": (
            "Årlig undersökning från Internetstiftelsen i Sverige (IIS) av svenska folkets "
            "internetvanor, den svenska delen av World Internet Project. 2018 års rapport visar "
            "att 98 procent har tillgång till internet hemma och lyfter särskilt fram sällan- och "
            "icke-användare: gränsen går inte längre mellan användare och icke-användare utan "
            "mellan storanvändare och sällananvändare."
        ),
        "language": "sv",
        "resource_type": "report",
        "publisher": "Internetstiftelsen",
        "topics": ["statistik-och-rapporter", "digital-delaktighet"],
        "tags": ["rapport", "statistik", "internetanvändning", "sällananvändare", "äldre"],
        "published": None,
    },
    {
        "url": "http://regionvasterbotten.se/wp-content/uploads/2014/11/digital_agenda_vasterbotten_1409291.pdf",
        "title": "Regional digital agenda för Västerbottens län",
        "description": (
            "Länets regionala digitala agenda, framtagen i bred samverkan under Region "
            "Västerbottens samordning och undertecknad av Region Västerbotten, Länsstyrelsen "
            "Västerbotten och Västerbottens läns landsting den 27 november 2014. Agendan utgår "
            "från de nationella it-politiska målen och omfattar bland annat bredband, digital "
            "kompetens, e-tjänster och e-hälsa."
        ),
        "language": "sv",
        "resource_type": "report",
        "publisher": "Region Västerbotten",
        "topics": ["digital-agenda"],
        "tags": ["strategi", "regional-digital-agenda", "västerbotten"],
        "published": "2014-11-27",
    },
    {
        "url": "https://www.regeringen.se/informationsmaterial/2011/10/it-i-manniskans-tjanst---en-digital-agenda-for-sverige/",
        "title": "It i människans tjänst – en digital agenda för Sverige",
        "description": (
            "Regeringens samlade it-politiska strategi från oktober 2011 (N2011.12), presenterad "
            "av it-minister Anna-Karin Hatt. Den lanserade målet att Sverige ska vara bäst i "
            "världen på att använda digitaliseringens möjligheter och ordnade insatserna i fyra "
            "strategiska områden, bland dem digitalt innanförskap och digital kompetens."
        ),
        "language": "sv",
        "resource_type": "report",
        "publisher": "Regeringskansliet, Näringsdepartementet",
        "topics": ["digital-agenda", "digital-delaktighet"],
        "tags": ["strategi", "regeringen", "it-politik", "digitalt-innanförskap"],
        "published": "2011-10-06",
    },
    {
        "url": "https://www.regionvasterbotten.se/default.aspx?id=113146",
        "title": "Digitalt först: användaren i fokus",
        "description": (
            "Regionbibliotek Västerbottens sida om den nationella satsningen Digitalt först med "
            "användaren i fokus. Satsningen föreslogs 2016 av Kungliga biblioteket och utredningen "
            "om en nationell biblioteksstrategi; regeringen gav i december 2017 KB i uppdrag att "
            "2018–2020 samordna och finansiera den, medan de regionala biblioteksverksamheterna "
            "samordnade den digitala kompetenshöjningen av länens folkbibliotekspersonal."
        ),
        "language": "sv",
        "resource_type": "project",
        "publisher": "Region Västerbotten, Regionbibliotek Västerbotten",
        "topics": ["digital-kompetens-bibliotekspersonal", "natverk-och-samverkan"],
        "tags": ["digitalt-först", "kompetensutveckling", "folkbibliotek", "västerbotten"],
        "published": None,
    },
    {
        "url": "https://regionvasterbotten.se/default.aspx?id=113205",
        "title": "Digitala servicecenter Västerbotten",
        "description": (
            "EU-finansierat projekt (2017–2019) som inrättade kommunala digitala servicecenter, "
            "eRUM, i anslutning till kommunbiblioteken i Storuman, Tärnaby, Lycksele och Åsele. "
            "Syftet var att pröva strukturer för hur kommuner långsiktigt kan stödja invånarnas "
            "digitala delaktighet och deras användning av e-tjänster."
        ),
        "language": "sv",
        "resource_type": "project",
        "publisher": "Region Västerbotten",
        "topics": ["e-tjanster-och-digital-service", "digital-delaktighet"],
        "tags": ["projekt", "erum", "servicecenter", "inlandet", "västerbotten"],
        "published": None,
    },
    {
        "url": "https://regionvasterbotten.se/kultur/lansbiblioteket-vasterbotten/",
        "title": "Länsbiblioteket i Västerbotten – MIK och kompetensutveckling för folkbiblioteken",
        "description": (
            "Länsbiblioteket i Västerbotten (senare Regionbibliotek Västerbotten, i dag "
            "Biblioteksutveckling Västerbotten) främjar samarbete och kompetensutveckling för "
            "länets folkbibliotek. Sidan samlade nyheter om fortbildning och nätverksträffar för "
            "länets bibliotekspersonal, bland annat om medie- och informationskunnighet och "
            "källkritik."
        ),
        "language": "sv",
        "resource_type": "network",
        "publisher": "Region Västerbotten, Länsbiblioteket i Västerbotten",
        "topics": ["mik", "natverk-och-samverkan", "digital-kompetens-bibliotekspersonal"],
        "tags": ["mik", "nätverk", "fortbildning", "folkbibliotek", "västerbotten"],
        "published": None,
    },
    # --- Further resources ---
    {
        "url": "https://svenskarnaochinternet.se/rapporter/svenskarna-och-internet-2017/",
        "title": "Svenskarna och internet 2017",
        "description": (
            "Internetstiftelsens årliga rapport om svenskarnas internetanvändning. 2017 års "
            "upplaga innehåller bland annat ett kapitel om barns digitala kompetens inför den "
            "reviderade läroplanen som började gälla hösten 2018."
        ),
        "language": "sv",
        "resource_type": "report",
        "publisher": "Internetstiftelsen",
        "topics": ["statistik-och-rapporter"],
        "tags": ["rapport", "statistik", "internetanvändning", "barn"],
        "published": None,
    },
    {
        "url": "https://svenskarnaochinternet.se/rapporter/svenskarna-och-internet-2019/",
        "title": "Svenskarna och internet 2019",
        "description": (
            "Årets upplaga av Internetstiftelsens undersökning ställde för första gången frågor om "
            "digitala samhällstjänster och om hur meningsfull tiden på nätet upplevs. 85 procent "
            "av befolkningen tycker att digitala samhällstjänster underlättar, men omkring en "
            "miljon svenskar använder inte internet dagligen."
        ),
        "language": "sv",
        "resource_type": "report",
        "publisher": "Internetstiftelsen",
        "topics": [
            "statistik-och-rapporter",
            "e-tjanster-och-digital-service",
            "digital-delaktighet",
        ],
        "tags": ["rapport", "statistik", "e-tjänster", "digitalt-utanförskap"],
        "published": "2019-10-15",
    },
    {
        "url": "https://svenskarnaochinternet.se/rapporter/svenskarna-och-internet-2023/",
        "title": "Svenskarna och internet 2023",
        "description": (
            "Internetstiftelsens undersökning av svenska folkets digitala vardag 2023, med frågor "
            "om bland annat källkritik, filterbubblor, digital integritet och cybersäkerhet."
        ),
        "language": "sv",
        "resource_type": "report",
        "publisher": "Internetstiftelsen",
        "topics": ["statistik-och-rapporter", "kallkritik"],
        "tags": ["rapport", "statistik", "internetanvändning", "integritet"],
        "published": None,
    },
    {
        "url": "https://internetstiftelsen.se/kunskap/rapporter-och-guider/skolbarnen-och-internet-2018/",
        "title": "Skolbarnen och internet 2018",
        "description": (
            "Rapport om hur svenska elever får undervisning i digital kompetens, såsom källkritik, "
            "skydd mot kränkningar på nätet och programmering. Den bygger på data från Svenskarna "
            "och internet 2018 och visar att undervisningen ännu inte når alla elever."
        ),
        "language": "sv",
        "resource_type": "report",
        "publisher": "Internetstiftelsen",
        "topics": ["statistik-och-rapporter", "mik"],
        "tags": ["rapport", "unga", "skola", "digital-kompetens"],
        "published": "2018-11-16",
    },
    {
        "url": "https://hb.diva-portal.org/smash/record.jsf?pid=diva2%3A1361070",
        "title": (
            "Användarna först med det digitala i fokus: folkbibliotekariers arbete inom den "
            "nationella satsningen för ökad digital kompetens"
        ),
        "description": (
            "Forskningsrapport från Högskolan i Borås (2019) av Karen Nowé Hedvall, Jenny "
            "Lindberg, Katarina Michnik och Malin Ögland. Den följer hur folkbibliotekarier har "
            "arbetat och förhållit sig till satsningen Digitalt först med användaren i fokus."
        ),
        "language": "sv",
        "resource_type": "report",
        "publisher": "Högskolan i Borås",
        "topics": ["digital-kompetens-bibliotekspersonal", "statistik-och-rapporter"],
        "tags": ["forskning", "rapport", "digitalt-först", "folkbibliotek"],
        "published": None,
    },
    {
        "url": "https://www.kb.se/samverkan-och-utveckling/nytt-fran-kb/nyheter-samverkan-och-utveckling/2019-03-07-demokratins-skattkammare---forslag-till-en-nationell-biblioteksstrategi.html",
        "title": "Demokratins skattkammare – förslag till en nationell biblioteksstrategi",
        "description": (
            "Förslaget till nationell biblioteksstrategi som Kungliga biblioteket överlämnade till "
            "regeringen den 7 mars 2019, efter ett uppdrag från hösten 2015 som leddes av Erik "
            "Fichtelius. Strategin pekar ut sex arbetsområden och föreslår bland annat satsningar "
            "på skolbibliotek, nationella minoriteter och nya nationella digitala "
            "bibliotekstjänster."
        ),
        "language": "sv",
        "resource_type": "report",
        "publisher": "Kungliga biblioteket (KB)",
        "topics": ["digital-agenda", "statistik-och-rapporter"],
        "tags": ["biblioteksstrategi", "rapport", "demokrati", "bibliotek"],
        "published": "2019-03-07",
    },
    {
        "url": "https://www.regeringen.se/informationsmaterial/2017/05/for-ett-hallbart-digitaliserat-sverige---en-digitaliseringsstrategi/",
        "title": "För ett hållbart digitaliserat Sverige – en digitaliseringsstrategi",
        "description": (
            "Regeringens digitaliseringsstrategi från maj 2017. Visionen är ett hållbart "
            "digitaliserat Sverige och strategin anger fem delmål: digital kompetens, digital "
            "trygghet, digital innovation, digital ledning och digital infrastruktur."
        ),
        "language": "sv",
        "resource_type": "report",
        "publisher": "Regeringskansliet, Näringsdepartementet",
        "topics": ["digital-agenda"],
        "tags": ["strategi", "regeringen", "digitaliseringsstrategi", "digital-kompetens"],
        "published": "2017-05-18",
    },
    {
        "url": "https://digitaliseringsradet.se/sveriges-digitalisering/sveriges-digitaliseringspolitik/",
        "title": "Sveriges digitaliseringspolitik – Digitaliseringsrådet",
        "description": (
            "Digitaliseringsrådets översikt över den svenska digitaliseringspolitiken: det "
            "riksdagsbundna målet från 2011, Digitaliseringskommissionens arbete 2012–2016 och "
            "digitaliseringsstrategin från 2017. Rådet inrättades 2017 för att stödja "
            "genomförandet av strategin och följa utvecklingen."
        ),
        "language": "sv",
        "resource_type": "organisation",
        "publisher": "Digitaliseringsrådet",
        "topics": ["digital-agenda", "statistik-och-rapporter"],
        "tags": ["digitaliseringsrådet", "strategi", "it-politik"],
        "published": None,
    },
    {
        "url": "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:52010DC0245",
        "title": "A Digital Agenda for Europe (COM(2010) 245)",
        "description": (
            "The European Commission's communication launching the Digital Agenda for Europe, one "
            "of the flagship initiatives of the Europe 2020 strategy. Among its action areas is "
            "enhancing digital literacy, skills and inclusion."
        ),
        "language": "en",
        "resource_type": "report",
        "publisher": "European Commission",
        "topics": ["digital-agenda"],
        "tags": ["eu", "strategy", "digital-inclusion"],
        "published": "2010-05-19",
    },
    {
        "url": "https://digital-strategy.ec.europa.eu/en/policies/europes-digital-decade",
        "title": "Europe's Digital Decade: digital targets for 2030",
        "description": (
            "The European Commission's policy page on the Digital Decade, setting EU targets for "
            "2030 on digital skills, infrastructure, the digitalisation of businesses and of "
            "public services, including that at least 80 % of adults should have basic digital "
            "skills."
        ),
        "language": "en",
        "resource_type": "other",
        "publisher": "European Commission",
        "topics": ["digital-agenda", "e-tjanster-och-digital-service"],
        "tags": ["eu", "digital-skills", "2030"],
        "published": None,
    },
    {
        "url": "https://digiteket.se/",
        "title": "Digiteket",
        "description": (
            "Nationell lärplattform för digital kompetens och MIK riktad främst till "
            "bibliotekspersonal, lanserad i augusti 2019 inom KB:s uppdrag Digitalt först med "
            "användaren i fokus. Den erbjuder kurser, inspirationsartiklar och ett "
            "självskattningstest byggt på EU:s ramverk DigComp; redaktionen finns vid Malmö "
            "stadsbibliotek."
        ),
        "language": "sv",
        "resource_type": "course",
        "publisher": "Digiteket / Kungliga biblioteket",
        "topics": ["digital-kompetens-bibliotekspersonal", "mik"],
        "tags": ["webbkurs", "lärplattform", "bibliotek", "digcomp"],
        "published": None,
    },
    {
        "url": "https://digitaltforst.blogg.kb.se/digital-kompetens/uppdraget/",
        "title": "Digitalt först med användaren i fokus – uppdraget",
        "description": (
            "Kungliga bibliotekets beskrivning av regeringsuppdraget att 2018–2020 nationellt "
            "samordna och finansiera en satsning på de regionala biblioteksverksamheterna som "
            "kompetens- och utvecklingsnoder, för en digital kunskapshöjning av landets "
            "folkbibliotekarier."
        ),
        "language": "sv",
        "resource_type": "project",
        "publisher": "Kungliga biblioteket (KB)",
        "topics": ["digital-kompetens-bibliotekspersonal", "natverk-och-samverkan"],
        "tags": ["digitalt-först", "regeringsuppdrag", "kompetensutveckling"],
        "published": None,
    },
    {
        "url": "https://digiteket.se/inspirationsartikel/digitalt-forst-med-anvandaren-i-fokus-har-gatt-i-mal/",
        "title": "Digitalt först med användaren i fokus har gått i mål!",
        "description": (
            "Digitekets artikel om avslutningen av den treåriga satsningen, som genomfördes i "
            "samverkan mellan folkbiblioteken, de regionala biblioteksverksamheterna och KB. "
            "Artikeln länkar till slutredovisningen som KB lämnade till Kulturdepartementet."
        ),
        "language": "sv",
        "resource_type": "other",
        "publisher": "Digiteket",
        "topics": ["digital-kompetens-bibliotekspersonal", "statistik-och-rapporter"],
        "tags": ["digitalt-först", "slutrapport", "folkbibliotek"],
        "published": None,
    },
    {
        "url": "https://utveckling.skane.se/tema/digitalt-forst/",
        "title": "Digitalt först med användaren i fokus i Skåne",
        "description": (
            "Region Skånes sida om hur den treåriga statliga satsningen på digitalt kompetenslyft "
            "för folkbibliotekarier genomfördes i Skåne, med mål, principer och rollfördelning "
            "mellan den regionala biblioteksverksamheten och folkbiblioteken."
        ),
        "language": "sv",
        "resource_type": "project",
        "publisher": "Region Skåne",
        "topics": ["digital-kompetens-bibliotekspersonal", "natverk-och-samverkan"],
        "tags": ["digitalt-först", "skåne", "folkbibliotek"],
        "published": None,
    },
    {
        "url": "https://statensmedierad.se/press/nyheterkronikorochpressmeddelanden/nyheterpressmeddelandekronikor/okadmedieochinformationskunnighetpa400bibliotek.334.html",
        "title": "Ökad medie- och informationskunnighet på 400 bibliotek",
        "description": (
            "Nyhet om Statens medieråds och Svensk biblioteksförenings gemensamma projekt för att "
            "fortbilda folk- och skolbibliotekarier i MIK. Nästan 400 bibliotek deltog i den "
            "första etappen och fick bland annat ett metodmaterial för att komma igång med "
            "MIK-arbetet."
        ),
        "language": "sv",
        "resource_type": "project",
        "publisher": "Statens medieråd",
        "topics": ["mik", "digital-kompetens-bibliotekspersonal"],
        "tags": ["mik", "fortbildning", "bibliotek", "skolbibliotek"],
        "published": None,
    },
    {
        "url": "https://digidel.se/",
        "title": "Digidelnätverket",
        "description": (
            "Icke-hierarkiskt och obundet nätverk av bibliotek, studieförbund, folkhögskolor, "
            "myndigheter, föreningar och företag som arbetar för ökad digital delaktighet. "
            "Nätverket bildades när kampanjen Digidel2013 avslutades och samordnar bland annat "
            "kampanjveckorna Get Online Week och eMedborgarveckan."
        ),
        "language": "sv",
        "resource_type": "network",
        "publisher": "Digidelnätverket",
        "topics": ["digital-delaktighet", "natverk-och-samverkan"],
        "tags": ["nätverk", "digidel", "folkbildning", "bibliotek"],
        "published": None,
    },
    {
        "url": "https://digidel.se/om-digidel/om-kampanjen-digidel-2013/",
        "title": "Om kampanjen Digidel2013",
        "description": (
            "Beskrivning av den nationella kampanjen för ökad digital delaktighet 2010–2013, som "
            "startade genom en dialog mellan bibliotek, folkbildning och Internetstiftelsen. Målet "
            "att få ytterligare minst 500 000 svenskar att börja använda internet uppnåddes, och "
            "kampanjen drevs som ett nätverk av över 450 aktörer."
        ),
        "language": "sv",
        "resource_type": "project",
        "publisher": "Digidelnätverket",
        "topics": ["digital-delaktighet", "natverk-och-samverkan"],
        "tags": ["kampanj", "digidel", "historik"],
        "published": None,
    },
    {
        "url": "https://internetkunskap.se/",
        "title": "Internetkunskap",
        "description": (
            "Internetstiftelsens fritt tillgängliga guider, artiklar och filmer om hur internet "
            "fungerar och hur man använder det säkert och medvetet, bland annat serien Så funkar "
            "internet. Materialet får delas fritt."
        ),
        "language": "sv",
        "resource_type": "guide",
        "publisher": "Internetstiftelsen",
        "topics": ["digital-delaktighet", "mik"],
        "tags": ["guide", "folkbildning", "internet", "säkerhet"],
        "published": None,
    },
    {
        "url": "https://digin.nu/",
        "title": "Digin.nu",
        "description": (
            "Informationswebbplats om digital inkludering och tillgänglighet med information, "
            "inspiration och vägledning. Den drivs gemensamt av Post- och telestyrelsen, "
            "Myndigheten för digital förvaltning, Myndigheten för delaktighet och Myndigheten för "
            "tillgängliga medier."
        ),
        "language": "sv",
        "resource_type": "guide",
        "publisher": "PTS, DIGG, MFD och MTM",
        "topics": ["digital-delaktighet", "e-tjanster-och-digital-service"],
        "tags": ["digital-inkludering", "tillgänglighet", "myndigheter"],
        "published": None,
    },
    {
        "url": "https://seniornet.se/",
        "title": "SeniorNet Sweden",
        "description": (
            "Ideell förening som sedan 1997 arbetar efter devisen ”äldre lär äldre” digital "
            "kommunikation och internet. Verksamheten bedrivs i ett femtiotal lokala klubbar över "
            "hela landet."
        ),
        "language": "sv",
        "resource_type": "organisation",
        "publisher": "SeniorNet Sweden",
        "topics": ["digital-delaktighet", "natverk-och-samverkan"],
        "tags": ["äldre", "seniorer", "ideell-förening", "folkbildning"],
        "published": None,
    },
    {
        "url": "http://lansbibliotekdalarna.se/digital-delaktighet-och-mik/",
        "title": "Digital delaktighet och MIK – Länsbibliotek Dalarna",
        "description": (
            "Länsbibliotek Dalarnas åtaganden för ökad digital delaktighet: samarbete mellan "
            "bibliotek och folkbildning, deltagande i eMedborgarveckan och Get Online Week, "
            "fortbildning av personal i MIK och perspektivet digitalt innanförskap i den regionala "
            "digitala agendan."
        ),
        "language": "sv",
        "resource_type": "other",
        "publisher": "Länsbibliotek Dalarna",
        "topics": ["digital-delaktighet", "mik", "natverk-och-samverkan"],
        "tags": ["länsbibliotek", "dalarna", "mik", "fortbildning"],
        "published": None,
    },
    {
        "url": "https://nll.se/sv/Kultur/Nyheter/Regional-biblioteksplan-och-arbete-for-okad-digital-delaktighet/",
        "title": "Regional biblioteksplan och arbete för ökad digital delaktighet",
        "description": (
            "Nyhet från Region Norrbotten om länets första regionala biblioteksplan (2018–2021), "
            "där digitalisering och digital delaktighet är ett utvecklingsområde, och om en dag "
            "för folk- och gymnasiebibliotekens personal om MIK, källkritik och digital "
            "delaktighet."
        ),
        "language": "sv",
        "resource_type": "other",
        "publisher": "Region Norrbotten",
        "topics": ["digital-delaktighet", "digital-kompetens-bibliotekspersonal"],
        "tags": ["biblioteksplan", "norrbotten", "regionbibliotek"],
        "published": None,
    },
    {
        "url": "https://digitalavarmland.se/om-digitala-varmland/",
        "title": "Om Digitala Värmland",
        "description": (
            "Webbplats för dem som arbetar med digital delaktighet på bibliotek, skolor och i "
            "andra verksamheter i Värmland. Bakom den står projekten Digitalt först och Till Dig – "
            "Tillgänglig Digitalt, som drivs av Region Värmland i samarbete med Länsstyrelsen "
            "Värmland."
        ),
        "language": "sv",
        "resource_type": "project",
        "publisher": "Region Värmland",
        "topics": [
            "digital-delaktighet",
            "digital-kompetens-bibliotekspersonal",
            "natverk-och-samverkan",
        ],
        "tags": ["värmland", "digitalt-först", "bibliotek"],
        "published": None,
    },
    {
        "url": "https://www.digg.se/",
        "title": "Myndigheten för digital förvaltning (DIGG)",
        "description": (
            "Myndighet i Sundsvall som bildades den 1 september 2018 för att samordna och stödja "
            "den förvaltningsgemensamma digitaliseringen och ansvara för den gemensamma digitala "
            "infrastrukturen, till exempel e-legitimation och digitala meddelandetjänster."
        ),
        "language": "sv",
        "resource_type": "organisation",
        "publisher": "Myndigheten för digital förvaltning (DIGG)",
        "topics": ["e-tjanster-och-digital-service", "digital-agenda"],
        "tags": ["myndighet", "e-förvaltning", "e-tjänster"],
        "published": None,
    },
    {
        "url": "https://www.pts.se/",
        "title": "Post- och telestyrelsen (PTS)",
        "description": (
            "Myndigheten för elektronisk kommunikation och post. PTS arbetar för att alla i "
            "Sverige ska ha tillgång till telefoni, bredband och post och har uppdrag om digital "
            "inkludering, bland annat undersökningar av hur personer med funktionsnedsättning "
            "använder internet och digitala tjänster."
        ),
        "language": "sv",
        "resource_type": "organisation",
        "publisher": "Post- och telestyrelsen (PTS)",
        "topics": ["e-tjanster-och-digital-service", "digital-delaktighet"],
        "tags": ["myndighet", "digital-inkludering", "tillgänglighet", "bredband"],
        "published": None,
    },
    {
        "url": "https://www.bibblansvarar.se/",
        "title": "Bibblan svarar",
        "description": (
            "Nationell svarstjänst där vem som helst kan ställa en fråga och få svar av "
            "bibliotekarier från folkbibliotek i hela landet. Tjänsten lanserades 2011 och "
            "samordnas av Malmö stadsbibliotek på uppdrag av Kungliga biblioteket."
        ),
        "language": "sv",
        "resource_type": "tool",
        "publisher": "Malmö stadsbibliotek på uppdrag av Kungliga biblioteket",
        "topics": ["e-tjanster-och-digital-service", "natverk-och-samverkan"],
        "tags": ["bibliotek", "referenstjänst", "fråga-bibliotekarien"],
        "published": None,
    },
    {
        "url": "https://skr.se/skr/tjanster/larandeexempel/allalarandeexempel/samverkanochkunskapslyftunderlattardigitaliseringivasterbotten.56371.html",
        "title": "Samverkan och kunskapslyft underlättar digitalisering i Västerbotten",
        "description": (
            "Lärande exempel från SKR om hur Region Västerbotten och länets kommuner genom externt "
            "finansierade projekt, utbildningen Att leda digital förändring och en politiskt "
            "förankrad regional digital agenda har byggt upp sin samverkan kring digitalisering."
        ),
        "language": "sv",
        "resource_type": "other",
        "publisher": "Sveriges Kommuner och Regioner (SKR)",
        "topics": ["e-tjanster-och-digital-service", "digital-agenda", "natverk-och-samverkan"],
        "tags": ["lärande-exempel", "kommuner", "västerbotten"],
        "published": "2021-08-13",
    },
    {
        "url": "https://digitalavasterbotten.se/varfor-digitala-vasterbotten/",
        "title": "Varför Digitala Västerbotten",
        "description": (
            "Bakgrund till samverkan Digitala Västerbotten, som växte fram ur projektet med samma "
            "namn 2016–2018. Projektet utgick från den regionala digitala agendans delmål och "
            "ledde till e-tjänstesamverkan mellan länets 15 kommuner med Skellefteå kommun som "
            "färdledare."
        ),
        "language": "sv",
        "resource_type": "project",
        "publisher": "Digitala Västerbotten",
        "topics": ["e-tjanster-och-digital-service", "natverk-och-samverkan", "digital-agenda"],
        "tags": ["e-tjänster", "kommuner", "västerbotten"],
        "published": None,
    },
    {
        "url": "https://www.statensmedierad.se/miksverige.3827.html",
        "title": "MIK Sverige – nätverk för medie- och informationskunnighet",
        "description": (
            "Nationellt aktörsnätverk för medie- och informationskunnighet som Statens medieråd "
            "koordinerade på uppdrag av regeringen. Syftet är att genom samverkan utveckla "
            "kunskap, effektivisera arbetet och stärka MIK hos alla i Sverige."
        ),
        "language": "sv",
        "resource_type": "network",
        "publisher": "Statens medieråd",
        "topics": ["mik", "natverk-och-samverkan"],
        "tags": ["mik", "nätverk", "myndighet"],
        "published": None,
    },
    {
        "url": "https://www.mediemyndigheten.se/medie-och-informationskunnighet-mik/medie--och-informationskunnighet-mik/",
        "title": "Om medie- och informationskunnighet (MIK) – Mediemyndigheten",
        "description": (
            "Mediemyndigheten, som 2024 tog över Statens medieråds uppgifter, beskriver vad MIK är "
            "och hur myndigheten arbetar: den koordinerar nätverket MIK Sverige, förvaltar MIK "
            "Sveriges kunskapsbank och kartlägger det MIK-främjande arbetet i Sverige."
        ),
        "language": "sv",
        "resource_type": "organisation",
        "publisher": "Mediemyndigheten",
        "topics": ["mik", "natverk-och-samverkan"],
        "tags": ["mik", "myndighet", "demokrati"],
        "published": None,
    },
    {
        "url": "https://www.kunskapsbank-miksverige.se/",
        "title": "MIK Sveriges kunskapsbank",
        "description": (
            "Öppen samling av material om medie- och informationskunnighet, från "
            "forskningsrapporter till kompletta lektionspaket med lärarhandledningar. Materialet "
            "kommer från bland andra Digiteket/KB, Internetstiftelsen, Mediemyndigheten och "
            "Specialpedagogiska skolmyndigheten."
        ),
        "language": "sv",
        "resource_type": "tool",
        "publisher": "Mediemyndigheten / nätverket MIK Sverige",
        "topics": ["mik", "kallkritik"],
        "tags": ["mik", "lärresurser", "kunskapsbank"],
        "published": None,
    },
    {
        "url": "https://www.ur.se/om-oss/vara-satsningar/mik/",
        "title": "UR:s satsning på medie- och informationskunnighet",
        "description": (
            "Utbildningsradion beskriver sitt arbete med att stärka medie- och "
            "informationskunnigheten för alla målgrupper genom program om källkritik, källtillit "
            "och mediernas roll, fritt tillgängliga på UR Play."
        ),
        "language": "sv",
        "resource_type": "organisation",
        "publisher": "Utbildningsradion (UR)",
        "topics": ["mik", "kallkritik"],
        "tags": ["mik", "ur", "program", "skola"],
        "published": None,
    },
    {
        "url": "https://www.vgregion.se/f/kulturforvaltningen/samhallsutveckling/medie--och-informationskunnighet/interregionalt-mik-natverk/",
        "title": "Interregionalt MIK-nätverk",
        "description": (
            "Nätverk som bildades hösten 2022 efter den nationella MIK-konferensen i Göteborg och "
            "som samlar kontaktpersoner från nästan alla regioner, utsedda av respektive "
            "kulturchef. Nätverket ska stärka de regionala aktörernas MIK-arbete och länka samman "
            "lokal, regional och nationell nivå."
        ),
        "language": "sv",
        "resource_type": "network",
        "publisher": "Västra Götalandsregionen",
        "topics": ["mik", "natverk-och-samverkan"],
        "tags": ["mik", "nätverk", "regioner"],
        "published": None,
    },
    {
        "url": "https://www.biblioteksforeningen.se/digitala-dialoger/",
        "title": "Digitala dialoger – Svensk biblioteksförening",
        "description": (
            "Svensk biblioteksförenings samtalsserie, bland annat med ett avsnitt om hur "
            "skolbibliotek, folkbibliotek och lärosätesbibliotek arbetar för ökad medie- och "
            "informationskunnighet."
        ),
        "language": "sv",
        "resource_type": "other",
        "publisher": "Svensk biblioteksförening",
        "topics": ["mik", "digital-kompetens-bibliotekspersonal"],
        "tags": ["mik", "samtal", "bibliotek"],
        "published": None,
    },
    {
        "url": "https://www.biblioteksforeningen.se/",
        "title": "Svensk biblioteksförening",
        "description": (
            "Ideell förening för bibliotek, bibliotekspersonal och andra med intresse för "
            "biblioteksfrågor. Föreningen har bland annat drivit fortbildning i medie- och "
            "informationskunnighet för bibliotekarier tillsammans med Statens medieråd."
        ),
        "language": "sv",
        "resource_type": "organisation",
        "publisher": "Svensk biblioteksförening",
        "topics": ["natverk-och-samverkan", "mik"],
        "tags": ["bibliotek", "förening", "påverkansarbete"],
        "published": None,
    },
    {
        "url": "https://www.unesco.org/en/media-information-literacy",
        "title": "Media and Information Literacy – UNESCO",
        "description": (
            "UNESCO's pages on media and information literacy (MIL). UNESCO also publishes the MIL "
            "Curriculum for Educators and Learners, whose second edition, “Media and information "
            "literate citizens: think critically, click wisely!”, appeared in 2021."
        ),
        "language": "en",
        "resource_type": "organisation",
        "publisher": "UNESCO",
        "topics": ["mik", "kallkritik"],
        "tags": ["mil", "unesco", "curriculum"],
        "published": None,
    },
    {
        "url": "https://kallkritikbyran.se/",
        "title": "Källkritikbyrån",
        "description": (
            "Faktagranskande sajt som lanserades den 2 mars 2020 av Jack Werner, Linnéa Jonjons "
            "och Åsa Larsson, som tidigare grundade Metros Viralgranskaren. Här finns granskningar "
            "av virala påståenden och guider till bland annat omvänd bildsökning och granskning av "
            "video."
        ),
        "language": "sv",
        "resource_type": "tool",
        "publisher": "Källkritikbyrån",
        "topics": ["kallkritik", "mik"],
        "tags": ["källkritik", "faktagranskning", "guide"],
        "published": "2020-03-02",
    },
    {
        "url": "https://www.metro.se/nyheter/the-viral-eye-let-us-check-before-you-share-.Yxf3yZdhXT",
        "title": "The Viral Eye – Let us check before you share",
        "description": (
            "English presentation of Viralgranskaren, the fact-checking desk that the Swedish "
            "newspaper Metro launched in 2014 to examine stories that go viral on social media."
        ),
        "language": "en",
        "resource_type": "other",
        "publisher": "Metro",
        "topics": ["kallkritik"],
        "tags": ["viralgranskaren", "fact-checking", "social-media"],
        "published": "2014-05-20",
    },
    {
        "url": "https://publications.jrc.ec.europa.eu/repository/handle/JRC128415",
        "title": "DigComp 2.2: The Digital Competence Framework for Citizens",
        "description": (
            "The 2022 update of the EU's reference framework for citizens' digital competence, by "
            "the Joint Research Centre, with five competence areas and new examples of knowledge, "
            "skills and attitudes. DigComp is used in Sweden, among other things, as the basis of "
            "Digiteket's self-assessment test for library staff."
        ),
        "language": "en",
        "resource_type": "report",
        "publisher": "European Commission, Joint Research Centre",
        "topics": ["digital-kompetens-bibliotekspersonal", "mik"],
        "tags": ["digcomp", "framework", "eu", "digital-skills"],
        "published": None,
    },
    {
        "url": "https://all-digital.org/",
        "title": "ALL DIGITAL",
        "description": (
            "Pan-European network of organisations and centres working with digital competence and "
            "inclusion (formerly Telecentre Europe). It coordinates the annual Get Online Week "
            "campaign, whose Swedish part is coordinated by the Digidel network."
        ),
        "language": "en",
        "resource_type": "network",
        "publisher": "ALL DIGITAL",
        "topics": ["natverk-och-samverkan", "digital-delaktighet"],
        "tags": ["eu", "get-online-week", "digital-inclusion"],
        "published": None,
    },
]
