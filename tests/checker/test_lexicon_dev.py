"""The checker's page judgement on the development half of the real-world phrase table.

The held-out half is measured, not asserted: ``bench/checker/lexicon_eval.py`` (its
numbers are in bench/README.md). Tuning happens on this half only.
"""

from __future__ import annotations

from bench.checker import lexicon_eval

from linkdir.checker import lexicon


def test_every_row_has_a_source_and_its_half_comes_from_the_source_hash():
    rows = lexicon_eval.rows()
    assert len(rows) >= 40
    assert len({row.source for row in rows}) == len(rows)  # one row per source
    for row in rows:
        assert row.source.startswith(("github:", "http://", "https://")), row
        assert row.half == lexicon_eval.half_of(row.source), row.source
        assert row.expect in ("gone", "maintenance", "ok") and row.shape in ("short", "long")
    halves = {row.half for row in rows}
    assert halves == {"dev", "heldout"}
    languages = {row.lang for row in rows}
    assert {"sv", "no", "da", "fi", "en"} <= languages


def test_development_half_is_judged_right():
    outcomes = lexicon_eval.evaluate("dev")
    wrong = [
        (o.row.expect, o.judged, o.row.title, o.row.body[:60]) for o in outcomes if not o.right
    ]
    assert not wrong
    assert {o.row.expect for o in outcomes} >= {"gone", "ok"}  # both kinds of error possible


def test_the_held_out_evaluation_runs():
    outcomes = lexicon_eval.evaluate("heldout")
    assert outcomes and all(o.judged in ("gone", "maintenance", "ok") for o in outcomes)
    assert "false alarms" in lexicon_eval.summary(outcomes)


def test_every_phrase_is_reachable_from_a_status_word():
    # A phrase runs only around one of its trigger words; one without any would be dead.
    dead = [p.pattern[:60] for _kind, p in lexicon.ENTRIES if not any(
        t in p.pattern for t in lexicon.TRIGGERS
    )]  # fmt: skip
    assert not dead


def test_the_maintenance_prefilter_lets_every_word_of_work_through():
    # maintenance_notice skips its regex unless a hint is in the text: a word the regex
    # knows but no hint covers would never be read.
    words = [
        "underhållet", "uppdaterar", "uppdateras", "vedlikeholdet", "oppdaterer", "oppdateres",
        "vedligeholdelse", "opdaterer", "opdatere", "opdateres", "huolto", "huollon",
        "huolletaan", "ylläpitotila", "päivitetään", "maintenance", "maintainance", "upgrade",
        "upgrading", "updating", "being updated", "while we fix", "as we update",
        "we're fixing", "we are working on",
    ]  # fmt: skip
    for word in words:
        text = f"vi meddelar att {word} pågår. försök igen senare."
        assert lexicon.maintenance_notice(text) is not None, word
    assert lexicon.maintenance_notice("sidan uppdateras löpande. försök igen senare.") is None
