"""`make deck`: the PowerPoint file opens, has a slide per section with its chart and its
evidence, and its recommendations are the ones the marts give when computed here
independently; an output that is not a deck of ours is refused and left as it was."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest
from pptx import Presentation

from conftest import ROOT
from generator.deck import SECTIONS


def _deck(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator", "deck", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def deck(built_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("deck") / "deck.pptx"
    done = _deck("--db", str(built_world), "--out", str(out))
    assert done.returncode == 0, done.stderr
    slides = {}
    for slide in list(Presentation(str(out)).slides)[1:]:
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        slides[texts[0]] = {"text": "\n".join(texts[1:]), "pictures": len(pictures)}
    return slides


def _marts(db, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_every_section_has_a_slide_with_its_chart_and_evidence(deck):
    assert list(deck) == [title for title, _, _ in SECTIONS]
    for title, slide in deck.items():
        assert slide["pictures"] == 1, title  # the default world has every behaviour
        assert "Evidence" in slide["text"], title


def test_the_leakiest_step_is_the_marts(deck, built_world):
    steps = _marts(
        built_world,
        "select funnel_name, event_name, conversion_from_previous "
        "from marts.fct_funnel_conversion where breakdown = '(all)' and step_number > 1 "
        "order by conversion_from_previous limit 1",
    ).iloc[0]
    text = deck["Funnels"]["text"]
    assert f"-> {steps.event_name} in {steps.funnel_name}" in text
    assert f"{100 * steps.conversion_from_previous:.1f}%" in text


def test_the_channel_is_the_marts(deck, built_world):
    roas = _marts(
        built_world,
        "select attribution_model, channel, sum(attributed_revenue) / sum(spend) as roas "
        "from marts.fct_channel_performance group by 1, 2 having sum(spend) > 0",
    )
    leaders = roas.loc[roas.groupby("attribution_model").roas.idxmax()].channel.value_counts()
    assert f"Move budget toward {leaders.index[0]}:" in deck["Marketing"]["text"]


def test_the_churn_drivers_are_the_marts(deck, built_world):
    top = _marts(
        built_world,
        "select feature from marts.fct_churn_drivers where feature_kind != 'control' "
        "order by importance_rank limit 3",
    ).feature
    text = deck["Churn"]["text"]
    assert all(feature in text for feature in top)


def test_an_output_not_ours_is_refused(built_world, tmp_path):
    out = tmp_path / "notes.pptx"
    out.write_text("my notes")
    done = _deck("--db", str(built_world), "--out", str(out))
    assert done.returncode == 2 and "not a deck of ours" in done.stderr
    assert out.read_text() == "my notes"
