"""Build the drift calibration set (bench/drift/pairs.json) from real page histories.

    .venv/bin/python bench/drift/collect.py [--wai DIR] [--municipio DIR]

Real pairs, "a page and its later version": the Markdown pages of two public websites
kept in git, the W3C WAI website (English, github.com/w3c/wai-website) and the Municipio
documentation (Swedish, github.com/whitespace-se/docs.municipio.se), read from local
clones (``git clone --bare``). Each page's oldest and newest versions are one *benign*
pair. *Replaced* pairs put a page's old version next to another organisation's page (the
other site), another page of the same site (a reorganisation that reused the address),
or our own replacement pages (casino, unrelated business, tombstone, for sale: no public
repository keeps those). Every page is rendered into HTML with a site's navigation,
footer, scripts and styles and read by the checker's own parser, so chrome is removed the
way it is in a real check; benign pairs also get the later version re-dated or
redesigned (other navigation, a cookie banner, a news sidebar).

Only fingerprints are stored (hashes, titles, key terms): no page text. Each pair is put
in the development or the held-out half by a hash of its id, here, before any tuning.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from linkdir.checker import classify  # noqa: E402
from linkdir.checker.fingerprint import of_page  # noqa: E402

HERE = Path(__file__).resolve().parent
TODAY = date(2026, 12, 1)

_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_TITLE = re.compile(r"^title:\s*[\"']?(.+?)[\"']?\s*$", re.MULTILINE)
_FENCE = re.compile(r"```.*?```", re.DOTALL)
_LIQUID = re.compile(r"{%.*?%}|{{.*?}}|{:.*?}", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_MARK = re.compile(r"^[#>*\-+\s]+|[*_`]+", re.MULTILINE)


def markdown_text(source: str) -> tuple[str, list[str]]:
    """(title, paragraphs) of a Markdown page, markup removed."""
    title = ""
    front = _FRONT.match(source)
    if front:
        found = _TITLE.search(front.group(1))
        title = found.group(1).strip() if found else ""
        source = source[front.end() :]
    source = _FENCE.sub(" ", source)
    source = _LIQUID.sub(" ", source)
    source = _IMAGE.sub(" ", source)
    source = _LINK.sub(r"\1", source)
    source = _TAG.sub(" ", source)
    paragraphs = []
    for block in re.split(r"\n\s*\n", source):
        text = " ".join(_MARK.sub(" ", block).split())
        if len(text.split()) >= 3:
            paragraphs.append(text)
    return title, paragraphs


def html(title: str, paragraphs: list[str], *, site: str, variant: str = "plain") -> str:
    """A page as a site would serve it: chrome around the main text."""
    nav = {
        "plain": ["Home", "About", "Contact"],
        "redesigned": ["Start", "News", "Resources", "Get involved", "Search", "Languages"],
    }[variant if variant in ("plain", "redesigned") else "plain"]
    links = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in nav)
    extra = ""
    if variant == "redesigned":
        extra = (
            '<div class="cookie-consent"><p>We use cookies to improve this site. '
            "Accept all cookies or choose which ones to allow.</p><button>OK</button></div>"
        )
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    if variant == "re-dated":
        body += "<p>Updated 14 October 2026</p>"
    aside = (
        "<aside><h2>News</h2><p>New resources published this week.</p></aside>"
        if variant == "redesigned"
        else ""
    )
    return (
        f"<!doctype html><html><head><title>{title} | {site}</title>"
        "<style>nav{display:flex}</style><script>var analytics=[];</script></head>"
        f"<body>{extra}<header><nav><ul>{links}</ul></nav></header><main><h1>{title}</h1>"
        f"{body}</main>{aside}<footer><p>{site} · Privacy · Accessibility statement</p>"
        "</footer></body></html>"
    )


def fingerprint(page_html: str) -> dict[str, object]:
    page = classify.analyse(page_html.encode(), "utf-8", today=TODAY)
    assert page is not None
    return of_page(page, page_html.encode()).to_json()


def versions(repo: Path, prefix: str, *, exclude: str | None = None) -> dict[str, list[str]]:
    """Each Markdown page's versions (oldest first) under ``prefix``."""
    names = subprocess.run(
        ["git", "--git-dir", str(repo), "ls-tree", "-r", "--name-only", "HEAD", prefix],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    found: dict[str, list[str]] = {}
    for name in names:
        if not name.endswith(".md") or (exclude and re.search(exclude, name)):
            continue
        commits = subprocess.run(
            ["git", "--git-dir", str(repo), "log", "--format=%H", "--", name],
            capture_output=True, text=True, check=True,
        ).stdout.split()[::-1]  # fmt: skip
        texts = []
        for commit in commits:
            shown = subprocess.run(
                ["git", "--git-dir", str(repo), "show", f"{commit}:{name}"],
                capture_output=True, text=True,
            )  # fmt: skip
            if shown.returncode == 0:
                texts.append(shown.stdout)
        if texts:
            found[name] = texts
    return found


OWN_REPLACEMENTS = {
    "en": {
        "casino": (
            "Top online casinos 2026 – best welcome bonus",
            [
                "Compare the best online casinos with a licence. We review welcome bonuses, free "
                "spins and payout times so you can pick the right casino.",
                "Popular games include slots with progressive jackpots, live casino with real "
                "dealers and table games such as roulette and blackjack. Play responsibly.",
            ],
        ),
        "business": (
            "Paws & Co – dog grooming and daycare",
            [
                "Welcome to Paws & Co! We offer grooming, washing and nail clipping for every "
                "breed in our salon. Book online or give us a call.",
                "Our daycare is open Monday to Friday from 7 to 18. Ask about our puppy packages "
                "and our range of shampoos, brushes and treats.",
            ],
        ),
        "tombstone": (
            None,
            [
                "This project has ended. Thank you to everyone who took part. The work continues "
                "within our regular activities; contact us if you have questions.",
            ],
        ),
        "for_sale": (
            "This domain may be for sale",
            [
                "This website is for sale! Make us an offer. Serious enquiries only, please use "
                "the form below.",
            ],
        ),
    },
    "sv": {
        "casino": (
            "Bästa nätcasino 2026 – free spins och bonusar",
            [
                "Här hittar du de bästa casinon på nätet med svensk licens. Vi jämför "
                "välkomstbonusar, free spins och uttagstider så att du kan välja rätt spelbolag.",
                "Populära spel är slots med jackpottar, live casino och klassiska bordsspel som "
                "roulette och blackjack. Spela alltid ansvarsfullt.",
            ],
        ),
        "business": (
            "Rörmokare i Malmö – dygnet runt",
            [
                "Vi är en auktoriserad VVS-firma som hjälper privatpersoner och företag med "
                "stopp i avlopp, läckor, badrumsrenovering och byte av varmvattenberedare.",
                "Ring oss dygnet runt så kommer en montör inom två timmar. Vi lämnar alltid "
                "fast pris innan arbetet börjar och du kan använda ROT-avdraget.",
            ],
        ),
        "tombstone": (
            None,
            [
                "Projektet är avslutat. Tack till alla som deltog! Arbetet förs nu vidare inom "
                "den ordinarie verksamheten. Kontakta oss om du har frågor.",
            ],
        ),
        "for_sale": (
            "Domänen är till salu",
            [
                "Den här webbplatsen är till salu! Lämna ett bud via formuläret nedan så "
                "återkommer vi inom två arbetsdagar.",
            ],
        ),
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wai", type=Path, default=Path("/work/.mirror/w3c+wai-website/repo"))
    parser.add_argument(
        "--municipio", type=Path, default=Path("/work/.mirror/whitespace-se+docs.municipio.se/repo")
    )
    parser.add_argument("--out", type=Path, default=HERE / "pairs.json")
    args = parser.parse_args()
    rng = random.Random(14)
    sites = {
        "en": (
            "Web Accessibility Initiative",
            versions(args.wai, "pages", exclude=r"\.[a-z]{2}(-[a-z]+)?\.md$|changelog"),
        ),
        "sv": ("Municipio", versions(args.municipio, "docs")),
    }
    pages: dict[str, list[tuple[str, str, list[str], list[str]]]] = {}
    for lang, (_site, found) in sites.items():
        rows = []
        for name, texts in sorted(found.items()):
            old_title, old = markdown_text(texts[0])
            new_title, new = markdown_text(texts[-1])
            if sum(len(p.split()) for p in old) < 40:
                continue
            rows.append((name, old_title or new_title, old, new or old))
        pages[lang] = rows
    pairs = []

    def add(pair_id: str, lang: str, kind: str, label: str, a: str, b: str) -> None:
        split = "dev" if int(hashlib.sha1(pair_id.encode()).hexdigest(), 16) % 2 else "held_out"
        pairs.append({
            "id": pair_id, "lang": lang, "kind": kind, "label": label, "split": split,
            "a": fingerprint(a), "b": fingerprint(b),
        })  # fmt: skip

    for lang, rows in pages.items():
        site = sites[lang][0]
        other_lang = "sv" if lang == "en" else "en"
        for index, (name, title, old, new) in enumerate(rows):
            base = html(title, old, site=site)
            changed = new != old
            variants = ["plain", "re-dated", "redesigned"] if changed else ["redesigned"]
            for variant in variants:
                add(f"{lang}:{name}:later:{variant}", lang, f"later_version_{variant}",
                    "same", base, html(title, new, site=site, variant=variant))  # fmt: skip
            other = rows[(index + 1 + rng.randrange(len(rows) - 1)) % len(rows)]
            if other[0] != name:
                add(f"{lang}:{name}:same-site:{other[0]}", lang, "same_site_other_page",
                    "replaced", base, html(other[1], other[3], site=site))  # fmt: skip
            folder = name.rsplit("/", 1)[0]
            siblings = [r for r in rows if r[0] != name and r[0].rsplit("/", 1)[0] == folder]
            if siblings:  # the hard case: a page on a neighbouring subject, same section
                sibling = siblings[index % len(siblings)]
                add(f"{lang}:{name}:sibling:{sibling[0]}", lang, "same_section_sibling",
                    "replaced", base, html(sibling[1], sibling[3], site=site))  # fmt: skip
            foreign = pages[other_lang][index % len(pages[other_lang])]
            add(f"{lang}:{name}:other-org:{foreign[0]}", lang, "other_organisation", "replaced",
                base, html(foreign[1], foreign[3], site=sites[other_lang][0]))  # fmt: skip
            kind = list(OWN_REPLACEMENTS[lang])[index % 4]
            own_title, own_text = OWN_REPLACEMENTS[lang][kind]
            add(f"{lang}:{name}:{kind}", lang, kind, "replaced", base,
                html(own_title or title, own_text, site="parked"))  # fmt: skip
    args.out.write_text(json.dumps({"pairs": pairs}, ensure_ascii=False, indent=0) + "\n")
    counts: dict[str, int] = {}
    for pair in pairs:
        key = f"{pair['split']}/{pair['label']}/{pair['lang']}"
        counts[key] = counts.get(key, 0) + 1
    print(json.dumps(counts, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
