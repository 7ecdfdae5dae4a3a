"""Tables on phones: below 40rem a table's cells stack and its header row is hidden
(site.css), so each data cell must name its column itself (``data-label``)."""

from __future__ import annotations

from typing import Any

import lxml.html

from linkdir.auth.service import create_token
from linkdir.checks import runs
from linkdir.db import utcnow
from tests.auth.test_sessions import account, sign_in
from tests.conftest import make_resource, make_topic

PAGES = (
    "/manage/links",
    "/manage/checks",
    "/manage/tokens",
    "/manage/users",
    "/manage/topics",
    "/manage/tags",
)
ACTIONS = ("Actions", "")  # buttons and forms that say what they do


def unlabelled_cells(html: str) -> tuple[int, list[str]]:
    """(data cells seen, the cells whose data-label is missing or not their column's name)."""
    seen, wrong = 0, []
    for table in lxml.html.fromstring(html).iter("table"):
        headers = [" ".join(th.text_content().split()) for th in table.xpath("./thead/tr/th")]
        for row in table.xpath("./tbody/tr"):
            for column, cell in enumerate(row.xpath("./th|./td")):
                if cell.tag != "td" or column >= len(headers) or headers[column] in ACTIONS:
                    continue
                seen += 1
                if cell.get("data-label") != headers[column]:
                    wrong.append(f"{headers[column]!r}: {cell.get('data-label')!r}")
    return seen, wrong


async def test_every_data_cell_of_the_curators_tables_names_its_column(client: Any, session: Any):
    await account(session, email="chef@region.se", role="admin")
    await make_topic(session, slug="mik")
    await make_resource(session, topics=["mik"], tags=["kurs"], state="published")
    await create_token(session, "chef@region.se", "import")
    await runs.start_run(session, scope="all", total=1, now=utcnow())
    await session.commit()
    assert (await sign_in(client, "chef@region.se")).status_code == 303
    for path in PAGES:
        page = await client.get(f"{path}?lang=en")
        assert page.status_code == 200, path
        seen, wrong = unlabelled_cells(page.text)
        assert seen, f"{path} shows no table rows"
        assert not wrong, f"{path}: {wrong}"
