"""`linkdir check-urls`: the DESIGN §4 output, exit statuses, and input handling."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.linkdir_cli import base_env, imported_by, run_process, started

from linkdir.cli import main

PAGE = (
    "<html><head><title>Guide</title></head><body><main><h1>Guide</h1>"
    "<p>Senast uppdaterad: 2021-03-03</p><p>Om e-böcker på biblioteket.</p></main></body></html>"
)
ENV = {"LINKDIR_CHECKER_ALLOW_NETWORKS": "127.0.0.0/8", "LINKDIR_CHECKER_TIMEOUT": "5"}


@pytest.fixture
def site(web):
    site = web.site(
        "cli.test",
        {"/guide": web.html(PAGE), "/old": web.redirect("/guide", 301)},
    )
    site.base = f"http://{site.ip}:{site.port}"  # the CLI resolves names for real
    return site


def run(args, *, input=None, env=None):
    if "--workers" not in args:
        args = [*args, "--workers", "1"]  # in-process; sharding has its own test below
    runner = CliRunner()
    return runner.invoke(main, ["check-urls", *args], input=input, env={**ENV, **(env or {})})


def test_json_output_has_exactly_the_documented_shape(site, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text(
        f"# a comment\n\n{site.base}/guide\n  {site.base}/old  \n{site.base}/missing\n"
        "inte en adress\n",
        encoding="utf-8",
    )
    result = run([str(urls), "--format", "json"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert list(document) == ["results", "summary"]
    items = {item["url"]: item for item in document["results"]}
    assert len(items) == 4
    for item in items.values():
        assert list(item) == [
            "url", "status", "http_status", "reason", "final_url", "redirects",
            "modified", "elapsed_ms", "checked_at", "other_site",
        ]  # fmt: skip
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["checked_at"])
        assert isinstance(item["elapsed_ms"], int)
    guide = items[f"{site.base}/guide"]
    assert (guide["status"], guide["http_status"], guide["modified"]) == ("ok", 200, "2021-03-03")
    old = items[f"{site.base}/old"]
    assert old["status"] == "moved"
    assert old["final_url"] == f"{site.base}/guide"
    assert old["redirects"] == [{"url": f"{site.base}/old", "status": 301}]
    assert items[f"{site.base}/missing"]["reason"] == "http_404"
    assert items["inte en adress"]["reason"] == "invalid_url"
    summary = document["summary"]
    assert list(summary) == ["ok", "moved", "broken", "unverified", "seconds"]
    assert (summary["ok"], summary["moved"], summary["broken"], summary["unverified"]) == (
        1,
        1,
        2,
        0,
    )
    assert isinstance(summary["seconds"], float)


def test_nothing_broken_exits_zero_and_reads_stdin(site):
    result = run(["-", "--format", "json"], input=f"{site.base}/guide\n{site.base}/old\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["broken"] == 0


def test_empty_input_is_a_valid_empty_report(site):
    result = run(["-", "--format", "json"], input="# nothing here\n\n")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["results"] == []
    assert document["summary"]["ok"] == 0


def test_loopback_is_refused_without_the_allow_setting(site):
    result = run(["-", "--format", "json"], input=f"{site.base}/guide\n", env={
        "LINKDIR_CHECKER_ALLOW_NETWORKS": ""
    })  # fmt: skip
    assert result.exit_code == 1
    assert json.loads(result.stdout)["results"][0]["reason"] == "blocked_address"
    assert site.requests == []


def test_csv_output(site):
    result = run(["-", "--format", "csv"], input=f"{site.base}/old\n")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["status"] == "moved"
    assert rows[0]["final_url"] == f"{site.base}/guide"
    assert rows[0]["redirects"] == f"301 {site.base}/old"


def test_table_output(site):
    result = run(["-", "--format", "table"], input=f"{site.base}/guide\n{site.base}/missing\n")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["STATUS", "HTTP", "REASON", "URL"]
    assert any(line.split()[:3] == ["broken", "404", "http_404"] for line in lines)
    assert "1 ok, 0 moved, 1 broken, 0 unverified" in result.stdout


def test_usage_errors_exit_two(tmp_path):
    missing = run([str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2
    bad_format = run(["-", "--format", "xml"], input="")
    assert bad_format.exit_code == 2
    bad_setting = run(["-"], input="", env={"LINKDIR_CHECKER_PER_HOST": "many"})
    assert bad_setting.exit_code == 2
    assert "LINKDIR_CHECKER_PER_HOST" in bad_setting.output


def test_worker_processes_split_hosts_and_keep_the_per_host_limit(web):
    def pages(request):
        if "linkdir-probe" in request.path:
            return web.Reply(404, b"")
        return web.html(PAGE.replace("Guide", request.path), delay=0.02)

    sites = [web.site(f"shard{i}.test", fallback=pages) for i in range(3)]
    urls = [f"http://{s.ip}:{s.port}/doc/{n}" for n in range(30) for s in sites]
    one = run(["-", "--format", "json", "--workers", "1"], input="\n".join(urls))
    # A process of its own: --workers forks, and this one runs the test servers' threads.
    three = run_process(
        ["check-urls", "-", "--format", "json", "--workers", "3"],
        {**base_env("sqlite+aiosqlite://"), **ENV},
        "\n".join(urls),
    )
    assert (one.exit_code, three.returncode) == (0, 0), three.stderr
    verdicts = [
        sorted((i["url"], i["status"]) for i in json.loads(text)["results"])
        for text in (one.stdout, three.stdout)
    ]
    assert verdicts[0] == verdicts[1]
    assert len(verdicts[0]) == 90
    assert all(site.counter.max_open <= 2 for site in sites)


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_a_checker_process_that_dies_ends_the_run_with_status_3_not_a_hang(web, tmp_path):
    sites = [
        web.site(f"dor{i}.test", fallback=web.html(PAGE, delay=0.2)) for i in range(6)
    ]  # about 2 s of answers per host
    urls = [f"http://{s.ip}:{s.port}/doc/{n}" for n in range(20) for s in sites]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls))
    env = {**base_env("sqlite+aiosqlite://"), **ENV}
    with started(
        ["check-urls", str(listing), "--format", "json", "--workers", "2"], env
    ) as process:
        deadline = time.monotonic() + 20
        while not any(site.requests for site in sites) and time.monotonic() < deadline:
            time.sleep(0.05)
        helpers = children_of(process.pid)
        assert len(helpers) == 1, helpers  # --workers 2: this process and one helper
        os.kill(helpers[0], signal.SIGKILL)
        out, errors = process.communicate(timeout=30)
    assert process.returncode == 3, errors
    assert "a checker process failed (a checker process ended with status -9)" in errors
    assert "the rest were not checked" in errors and "Traceback" not in errors
    document = json.loads(out)  # still a whole document: what was checked, and the counts
    checked = len(document["results"])
    assert checked < len(urls) and sum(document["summary"][v] for v in ("ok", "broken")) == checked


def test_check_urls_loads_neither_the_web_app_nor_the_database_layer(tmp_path):
    # Each checker process stays small (issue 12: peak RSS): nothing of litestar,
    # SQLAlchemy, Jinja or mail is imported to check a list of URLs.
    listing = tmp_path / "urls.txt"
    listing.write_text("# nothing to check\n")
    code = (
        "from linkdir.cli import main\n"
        "try:\n"
        f"    main(['check-urls', {str(listing)!r}, '--format', 'json', '--workers', '1'])\n"
        "except SystemExit:\n"
        "    pass\n"
    )
    heavy = {"litestar", "sqlalchemy", "sqlmodel", "jinja2", "aiosmtplib", "alembic"}
    loaded, printed = imported_by(code, heavy, packages=True)
    assert loaded == []
    assert '"summary"' in printed
