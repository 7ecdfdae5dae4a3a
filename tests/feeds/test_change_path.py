"""One explicit notification path: writes outside the web app ping the hub too."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tests.feeds.conftest import Hub
from tests.test_cli import base_env, run
from tests.transfer.conftest import FIXTURES


async def test_linkdir_import_publish_pings_the_hub(
    database_url: str, session: AsyncSession, hub: Hub
) -> None:
    env = base_env(
        database_url,
        LINKDIR_WEBSUB_HUB_URL=hub.url,
        LINKDIR_BASE_URL="http://bibliotek.example.se",
    )
    result = run(["import", str(FIXTURES / "sheets_utf8.csv"), "--publish"], env)
    assert result.returncode in {0, 1}, result.stderr
    assert "imported 3" in result.stdout
    # Awaited before the command ended: the pings are there already.
    assert "http://bibliotek.example.se/feeds/new.atom" in hub.urls()
    assert "http://bibliotek.example.se/feeds/new.rss?lang=en" in hub.urls()


async def test_a_draft_import_pings_nothing(database_url: str, hub: Hub) -> None:
    env = base_env(database_url, LINKDIR_WEBSUB_HUB_URL=hub.url)
    result = run(["import", str(FIXTURES / "sheets_utf8.csv")], env)
    assert "imported 3" in result.stdout
    assert hub.urls() == set()
