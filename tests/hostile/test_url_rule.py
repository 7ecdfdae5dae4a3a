"""The one URL rule: loopback in any spelling is refused everywhere a URL is stored."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from linkdir.checker.netguard import is_public
from linkdir.resources.models import Resource
from linkdir.urls import InvalidUrl, public_http_url
from tests.conftest import make_editor, make_resource

Client = AsyncTestClient[Any]

# Every spelling the outside probe got stored (defect 1), and the IPv6 wrappers.
LOOPBACK_SPELLINGS = [
    "http://127.1/",
    "http://0x7f.0.0.9/",
    "http://127.9/",
    "http://0177.0.0.9/",
    "http://127.000.000.011/",
    "http://127\u30020\u30020\u30029/",  # ideographic full stops
    "http://127\uff0e0\uff0e0\uff0e9/",  # fullwidth full stops
    "http://\u2460\u2461\u2466.0.0.9/",  # circled digits: ①②⑦
    "http://2130706433/",
    "http://127%2e0%2e0%2e1/",
    "http://[::ffff:127.0.0.1]/",
    "http://[64:ff9b::7f00:9]/",  # NAT64
    "http://[2002:7f00:9::]/",  # 6to4
    "http://[::ffff:a9fe:a9fe]/",  # mapped 169.254.169.254
    "http://localhost./",
]


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
def test_every_spelling_of_a_private_address_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrl) as refused:
        public_http_url(url)
    assert refused.value.error.field == "url"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("http://134744072/", "http://8.8.8.8/"),
        ("https://R\u00e4ksm\u00f6rg\u00e5s.SE/a b", "https://xn--rksmrgs-5wao1o.se/a%20b"),
        ("https://bibliotek\uff0ese/", "https://bibliotek.se/"),
        ("http://[::ffff:8.8.8.8]/", "http://[::ffff:808:808]/"),
        # A browser reads "\\" as "/": the host is the one before it, as stored.
        ("http://bibliotek.se\\@127.0.0.1/", "http://bibliotek.se/@127.0.0.1/"),
    ],
)
def test_public_addresses_are_stored_in_one_canonical_spelling(raw: str, stored: str) -> None:
    assert public_http_url(raw) == stored


def test_ip_wrappers_are_judged_by_the_ipv4_inside() -> None:
    assert not is_public(ipaddress.ip_address("64:ff9b::7f00:1"))
    assert not is_public(ipaddress.ip_address("2002:a00:1::"))
    assert is_public(ipaddress.ip_address("64:ff9b::808:808"))
    assert is_public(ipaddress.ip_address("::ffff:8.8.8.8"))


async def test_the_api_refuses_loopback_spellings_with_a_field_error(
    strict_client: Client, session: AsyncSession
) -> None:
    _, token = await make_editor(session)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "sv"}
    for url in LOOPBACK_SPELLINGS:
        response = await strict_client.post(
            "/api/v1/resources", json={"url": url, "title": "Intern sida"}, headers=headers
        )
        assert response.status_code == 422, (url, response.text)
        [error] = response.json()["errors"]
        assert error["field"] == "url"
        assert "nätverk" in error["message"] or "offentlig" in error["message"], error
    listed = await strict_client.get("/api/v1/resources?state=draft", headers=headers)
    assert listed.json()["total"] == 0


async def test_accept_redirect_refuses_a_stored_move_to_loopback(
    strict_client: Client, session: AsyncSession
) -> None:
    resource = await make_resource(session, url="https://gammal.example.se/guide")
    row = await session.get(Resource, resource.id)
    assert row is not None
    row.link_status, row.moved_to = "moved", "http://0x7f.0.0.9/admin"
    await session.commit()
    _, token = await make_editor(session)
    response = await strict_client.post(
        f"/api/v1/resources/{resource.id}/fix",
        json={"action": "accept_redirect"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.text
    await session.refresh(row)
    assert row.url == "https://gammal.example.se/guide"
