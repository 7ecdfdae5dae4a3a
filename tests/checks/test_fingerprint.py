"""Content fingerprints: benign changes stay the same resource, replaced content does not."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
from tests.checks import rot_pages as rp

from linkdir.checker import classify
from linkdir.checker.fingerprint import Fingerprint, compare, of_page

CURATED = "Digital agenda för Västerbotten. Regionens strategi för digitalisering och biblioteken."
CURATED_EN = "Digital inclusion in public libraries. Annual report on libraries and e-services."


def fingerprint(html: str) -> Fingerprint:
    page = classify.analyse(html.encode(), "utf-8", today=date(2026, 12, 1))
    assert page is not None
    return of_page(page, html.encode())


BASE = fingerprint(rp.agenda())
BASE_EN = fingerprint(rp.report())


@pytest.mark.parametrize(
    "later",
    [
        pytest.param(rp.page(rp.AGENDA_TITLE, rp.EDITED), id="edited"),
        pytest.param(rp.agenda(updated="2025-10-12"), id="re-dated"),
        pytest.param(
            rp.agenda(
                nav=("Hem", "Regional utveckling", "Kultur", "Hälsa och vård", "Jobba hos oss"),
                cookie=True,
                sidebar=["Ny webbplats lanserad", "Regionfullmäktige sammanträder i juni"],
                wrapper="article",
            ),
            id="redesigned",
        ),
        pytest.param(rp.page(rp.AGENDA_TITLE, rp.GROWN), id="grown-by-a-paragraph"),
        pytest.param(
            rp.page(
                "Digital agenda för Västerbotten | Region Västerbotten – regionvasterbotten.se",
                rp.AGENDA,
            ),
            id="new-site-name-in-title",
        ),
    ],
)
def test_benign_changes_are_the_same_resource(later: str) -> None:
    verdict = compare(BASE, fingerprint(later), resource_text=CURATED)
    assert not verdict.replaced, verdict
    assert verdict.similarity >= 0.6


@pytest.mark.parametrize(
    ("later", "marker"),
    [
        pytest.param(rp.page(rp.CASINO_TITLE, rp.CASINO), "gambling", id="casino"),
        pytest.param(rp.page(rp.GROOMER_TITLE, rp.GROOMER), None, id="unrelated-business"),
        pytest.param(rp.page(rp.OTHER_ORG_TITLE, rp.OTHER_ORG), None, id="other-organisation"),
        pytest.param(rp.page(rp.AGENDA_TITLE, rp.TOMBSTONE), "closed", id="project-ended"),
        pytest.param(rp.page(rp.FOR_SALE_TITLE, rp.FOR_SALE, lang="en"), "for_sale", id="for-sale"),
    ],
)
def test_replaced_content_is_not_the_resource(later: str, marker: str | None) -> None:
    verdict = compare(BASE, fingerprint(later), resource_text=CURATED)
    assert verdict.replaced, verdict
    if marker:
        assert marker in verdict.new_markers


def test_english_pages_are_judged_the_same_way() -> None:
    grown = rp.page(
        rp.REPORT_TITLE, [*rp.REPORT, "A new chapter covers the 2025 follow-up survey."]
    )
    assert not compare(BASE_EN, fingerprint(grown), resource_text=CURATED_EN).replaced
    casino = fingerprint(rp.page(rp.EN_CASINO_TITLE, rp.EN_CASINO, lang="en"))
    assert compare(BASE_EN, casino, resource_text=CURATED_EN).replaced
    assert BASE_EN.language == "en" and BASE.language == "sv"


def test_scripts_styles_navigation_and_footer_never_count() -> None:
    # The same navigation, footer, script and style around a wholly different text.
    casino = fingerprint(rp.page(rp.CASINO_TITLE, rp.CASINO))
    assert not {"gtag", "datalayer", "telefon", "kontakt", "regionen"} & set(casino.terms)
    assert compare(BASE, casino).text == 0.0


def test_a_page_about_gambling_addiction_keeps_its_marker_without_alarm() -> None:
    text = [p + " Spelberoende, casino och odds nämns i kapitlet om stödet." for p in rp.AGENDA]
    base = fingerprint(rp.page(rp.AGENDA_TITLE, text))
    later = fingerprint(rp.page(rp.AGENDA_TITLE, text, updated="2026-01-01", cookie=True))
    assert "gambling" in base.markers
    assert not compare(base, later).replaced


def test_identifiers_carried_by_the_page_are_kept() -> None:
    head = (
        '<link rel="canonical" href="https://www.regionvasterbotten.se/digital-agenda">'
        '<meta name="citation_doi" content="10.1234/agenda.2019.7">'
        '<meta name="dc.identifier" content="URN:NBN:SE:UMU:DIVA-123456">'
        '<a href="https://hdl.handle.net/2077/45678">Handle</a>'
    )
    found = fingerprint(rp.agenda(head=head)).identifiers
    assert found == (
        "canonical:https://www.regionvasterbotten.se/digital-agenda",
        "doi:10.1234/agenda.2019.7",
        "urn:urn:nbn:se:umu:diva-123456",
        "hdl:2077/45678",
    )


def test_fingerprints_survive_storage_and_are_stable_across_processes() -> None:
    stored = Fingerprint.from_json(BASE.to_json())
    assert stored == BASE
    # CRC-32, not the salted hash(): a worker and the web node must agree on a baseline.
    script = "from tests.checks.test_fingerprint import BASE; print(BASE.to_json()['sketch'])"
    sketches = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert sketches == {BASE.to_json()["sketch"] + "\n"}
    assert Fingerprint.from_json({"v": 99}) is None
    assert len(str(BASE.to_json())) < 1500


def test_too_little_to_judge_is_not_called_replaced() -> None:
    empty = fingerprint("<html><body><main></main></body></html>")
    assert not compare(empty, empty).replaced


def test_another_page_of_the_same_site_is_not_the_resource_despite_the_site_name() -> None:
    # Every page of the site ends its title with the site's name: that is no evidence.
    other = rp.page("Kollektivtrafik och färdtjänst | Region Västerbotten", rp.OTHER_ORG)
    verdict = compare(BASE, fingerprint(other), resource_text=CURATED)
    assert verdict.title == 0.0
    assert verdict.replaced
