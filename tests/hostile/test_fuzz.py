"""Fuzz targets (hypothesis, fixed budget, derandomised): the URL rule and the import parsers.

Each target's invariant is "a clear refusal or a safe value, never another exception";
the defects the outside probe found are the seeds (``@example``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from linkdir.checker.netguard import is_public, parse_ip
from linkdir.transfer.bounds import vet_draft
from linkdir.transfer.csvio import parse_csv
from linkdir.transfer.drafts import ParseFailed
from linkdir.transfer.jsonio import parse_json
from linkdir.urls import InvalidUrl, parse_ipv4_number, public_http_url

BUDGET = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI stays reproducible
    suppress_health_check=[HealthCheck.too_slow],
)

HOST_PARTS = st.sampled_from(
    ["127", "0x7f", "0177", "000", "1", "0", "255", "256", "9", "①", "②", "⑦", "。", "．",
     ".", "-", "xn--", "a", "bibliotek", "se", "localhost", "[", "]", ":", "::ffff:", "%2e",
     "ff9b", "64:", "2002:", "@", "\\", "\u200b", "Å", "ß"]
)  # fmt: skip
HOSTS = st.lists(HOST_PARTS, min_size=1, max_size=8).map("".join)
URLS = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
        st.sampled_from(["http", "https", "HTTP", "javascript", "ftp", "hTtPs"]),
        HOSTS,
        st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":x"]),
        st.sampled_from(["", "/", "/a b", "/å?q=1#x", "/%00", "?x"]),
    ),
)


def _judged_host(url: str) -> None:
    """A stored URL's host is a public address, or a name that is not an IPv4 number."""
    host = urlsplit(url).hostname or ""
    address = parse_ip(host)
    assert address is None or is_public(address), url
    if address is None:
        assert parse_ipv4_number(host) is None, url  # numbers are always stored decoded


@BUDGET
@given(URLS)
@example("http://127.1/")
@example("http://0x7f.0.0.9/")
@example("http://0177.0.0.9/")
@example("http://127.000.000.011/")
@example("http://127\u30020\u30020\u30029/")
@example("http://\u2460\u2461\u2466.0.0.9/")
@example("http://[64:ff9b::7f00:1]/")
@example("http://[2002:7f00:1::]/")
@example("http://[::ffff:127.0.0.1]/")
@example("javascript:alert(document.domain)")
def test_the_url_rule_refuses_clearly_or_stores_a_public_canonical_url(raw: str) -> None:
    try:
        url = public_http_url(raw)
    except InvalidUrl as refused:
        assert refused.error.field == "url" and refused.error.message
        return
    assert url.startswith(("http://", "https://")), url
    _judged_host(url)
    assert public_http_url(url) == url  # canonical: storing it again changes nothing


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
LINK = st.fixed_dictionaries(
    {},
    optional={
        "http_status": st.one_of(st.integers(), st.just(10**30), JSON_VALUES),
        "archive_url": st.one_of(URLS, JSON_VALUES),
        "moved_to": URLS,
        "final_url": URLS,
        "status": st.sampled_from(["ok", "broken", "nonsense"]),
        "status_since": st.sampled_from(
            ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2024-01-01", "x"]
        ),
        "modified_on": st.text(max_size=12),
        "reason": st.text(max_size=70),
    },
)  # fmt: skip
RESOURCE = st.fixed_dictionaries(
    {"url": URLS},
    optional={
        "title": st.one_of(st.text(max_size=30), JSON_VALUES),
        "created_at": st.sampled_from(
            ["0001-01-01T00:00:00+05:00", "2020-02-30", "2020-01-01T00:00:00Z"]
        ),
        "tags": st.one_of(st.lists(st.text(max_size=10), max_size=3), JSON_VALUES),
        "link": st.one_of(LINK, JSON_VALUES),
    },
)  # fmt: skip


def _parse_then_vet(text: str, parser: Any) -> None:
    try:
        parsed = parser(text)
    except ParseFailed as failed:
        assert failed.message
        return
    for draft in parsed.drafts:
        for problem in vet_draft(draft):
            assert problem.line >= 0 and problem.message
        link = draft.restore.get("link")
        if isinstance(link, dict) and not vet_draft(draft):
            for name in ("archive_url", "moved_to", "final_url"):
                if link.get(name):
                    _judged_host(link[name])


@BUDGET
@given(st.lists(RESOURCE, max_size=4))
@example([{"url": "https://a.se/", "link": {"http_status": 10**30}}])
@example([{"url": "https://a.se/", "created_at": "0001-01-01T00:00:00+05:00"}])
@example([{"url": "https://a.se/", "link": {"archive_url": "javascript:alert(1)"}}])
def test_json_import_reports_rows_and_never_raises(resources: list[dict[str, Any]]) -> None:
    _parse_then_vet(
        json.dumps({"format": "linkdir", "version": 1, "resources": resources}), parse_json
    )


@BUDGET
@given(st.text(max_size=300))
@example('{"resources": [' + "[" * 5000 + "]" * 5000 + "]}")
@example("[" * 100_000)
def test_json_import_survives_any_text(text: str) -> None:
    _parse_then_vet(text, parse_json)


@BUDGET
@given(
    st.lists(
        st.lists(st.one_of(st.text(max_size=15), URLS), min_size=1, max_size=5), max_size=6
    ).map(lambda rows: "url;title;created_at;tags\r\n" + "\r\n".join(";".join(r) for r in rows))
    | st.text(max_size=200)
)
@example("url;title;created_at\r\nhttps://a.se/;x;0001-01-01T00:00:00+05:00\r\n")
@example('url;title\r\n"https://a.se/;"unterminated\r\n')
@example('url;title\r\n=HYPERLINK("http://evil.example/");x\r\n')
def test_csv_import_reports_rows_and_never_raises(text: str) -> None:
    _parse_then_vet(text, parse_csv)
