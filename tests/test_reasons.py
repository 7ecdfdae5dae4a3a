"""Every reason code the engine can give, and every status, tab and fix, has words in sv and en.

The codes are collected from the engine itself (its docstring table and the literals it
returns), so a new code without a label fails here, not in front of a librarian.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linkdir import i18n
from linkdir.checks.charts import CHECK_LABELS
from linkdir.checks.fixes import FIXES, REFUSALS
from linkdir.checks.vocabulary import Tab, Verdict
from linkdir.labels import ACTIONS, FIELDS
from linkdir.reasons import REASON_LABELS, has_label, reason_label

CHECKER = Path(__file__).resolve().parents[1] / "src" / "linkdir" / "checker"
VERDICT = r'"(?:ok|moved|broken|unverified)"'
CODE = r'"([a-z][a-z0-9_]*)"'
PATTERNS = [
    re.compile(rf"done\(\s*{VERDICT},\s*{CODE}"),  # engine verdicts
    re.compile(rf"_result\(\s*url,\s*{VERDICT},\s*None,\s*{CODE}"),  # engine failures
    re.compile(rf"return\s*\(?\s*{VERDICT},\s*{CODE}", re.S),  # probe verdicts
    re.compile(rf"Failure\(\s*{CODE}"),  # fetch failures
]
# transport.classify_error returns (reason, detail, transient); elsewhere in the engine a
# ``return "word", …`` is an internal kind (the lexicon's "not_found"), not a reason.
CLASSIFY_ERROR = re.compile(rf"return {CODE}, ")
TABLE_ROW = re.compile(r"^(?:ok|moved|broken|unverified)\s{2,}([a-z][a-z0-9_, …]*?)\s{2,}", re.M)


def engine_codes() -> set[str]:
    """Every reason code spelled in the engine's source and its verdict table."""
    codes: set[str] = set()
    for path in CHECKER.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for pattern in PATTERNS:
            codes.update(pattern.findall(source))
        if path.name == "transport.py":
            codes.update(CLASSIFY_ERROR.findall(source))
        if path.name == "engine.py":
            for cell in TABLE_ROW.findall(source):
                codes.update(code.strip() for code in cell.split(",") if code.strip() != "…")
    return {code for code in codes if code not in {"ok", "moved", "broken", "unverified"}} | {"ok"}


def test_the_engine_codes_are_found_at_all():
    codes = engine_codes()
    # A sample the engine is known to give: if these are missing, the patterns are stale.
    assert {"soft_404", "dns", "refused", "tls", "timeout", "bot_wall", "blocked_address"} <= codes
    assert {"same_page_everywhere", "client_rendered", "redirect_loop", "http_404"} <= codes


def test_every_reason_the_engine_gives_has_a_label():
    unlabelled = sorted(code for code in engine_codes() if not has_label(code))
    assert unlabelled == [], f"reason codes without words in linkdir/reasons.py: {unlabelled}"


@pytest.mark.parametrize("status", [404, 410, 418, 451, 500, 503, 999])
def test_any_http_status_code_reads_as_words(status):
    i18n.set_locale("en")
    label = reason_label(f"http_{status}")
    assert f"HTTP {status}" in label and label != f"http_{status}"


def swedish(msgid: str) -> str:
    i18n.set_locale("sv")
    return i18n.gettext(msgid)


# Words the reader sees for codes: each needs a Swedish translation of its own.
MSGIDS = sorted(
    set(REASON_LABELS.values())
    | {fix.msgid for fix in FIXES.values()}
    | set(REFUSALS.values())
    | set(CHECK_LABELS.values())
    | set(ACTIONS.values())
    | set(FIELDS.values())
)


@pytest.mark.parametrize("msgid", MSGIDS)
def test_every_label_is_translated_into_swedish(msgid):
    assert swedish(msgid) != msgid or msgid in {"Status"}, f"no Swedish for {msgid!r}"


@pytest.mark.parametrize("value", [*Verdict, *Tab])
def test_every_status_and_tab_has_words_in_both_languages(value):
    i18n.set_locale("en")
    english = value.label
    i18n.set_locale("sv")
    assert value.label and english and value.label != english
    assert value.value not in {english, value.label}  # words, never the code
