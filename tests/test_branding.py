"""The site under the library's own name: title, header, feeds, statement, logo."""

from __future__ import annotations

from pathlib import Path

import feedparser
import lxml.html
import pytest
from litestar.testing import AsyncTestClient

from linkdir.app import create_app
from linkdir.config import Settings, SettingsError
from tests.conftest import make_settings

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def test_the_site_carries_the_librarys_name_organisation_and_logo(
    database_url: str, tmp_path: Path
) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    settings = make_settings(
        database_url,
        site_name="Länkar för Region Exempel",
        site_organisation="Regionbibliotek Exempel",
        site_logo=str(logo),
    )
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as c:
        home = lxml.html.fromstring((await c.get("/")).text)
        assert home.findtext(".//title").endswith("– Länkar för Region Exempel")
        brand = home.xpath("//p[@class='brand']")[0]
        assert "Länkar för Region Exempel" in brand.text_content()
        assert "Regionbibliotek Exempel" in brand.text_content()
        assert brand.xpath(".//img[@src='/logo'][@alt='']")
        served = await c.get("/logo")
        assert served.status_code == 200 and served.content == PNG
        assert served.headers["content-type"] == "image/png"
        statement = (await c.get("/about/accessibility")).text
        assert "Regionbibliotek Exempel driver Länkar för Region Exempel" in statement
        feed = feedparser.parse((await c.get("/feeds/new.atom")).content)
        assert feed.feed.title == "Länkar för Region Exempel: nya resurser"
        assert feed.feed.author == "Regionbibliotek Exempel"


async def test_by_default_the_texts_stay_as_they_were(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as c:
        home = lxml.html.fromstring((await c.get("/")).text)
        assert home.findtext(".//title").endswith("– linkdir")
        assert not home.xpath("//img[@src='/logo']")
        assert (await c.get("/logo")).status_code == 404


def test_a_logo_must_be_an_image_file() -> None:
    with pytest.raises(SettingsError, match="LINKDIR_SITE_LOGO"):
        make_settings("sqlite+aiosqlite:///x.db", site_logo="/etc/passwd")


def test_mail_settings_are_checked() -> None:
    with pytest.raises(SettingsError, match="LINKDIR_SMTP_URL"):
        make_settings("sqlite+aiosqlite:///x.db", smtp_url="http://mail.example.se")
    with pytest.raises(SettingsError, match="LINKDIR_MAIL_FROM"):
        make_settings("sqlite+aiosqlite:///x.db", mail_from="inte en adress")
