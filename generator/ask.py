"""Ask a question in words: `python -m generator ask "which cohort retains best?"` routes it
to the closest analysis template by offline text retrieval (TF-IDF over each template's
own description, words and word pieces), fills the template's parameters from the
question and the world (an attribute, events, an experiment, a period named in it), shows
the SQL and runs it.

The templates are the ready questions in analyses/ (compiled by dbt against the
warehouse) and the dashboard's explorers."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from generator.dashboard import queries as q
from generator.dashboard.warehouse import Warehouse, WarehouseError, breakdowns

ROOT = Path(__file__).resolve().parents[1]
STEM = 5  # words compare by their first five letters, less -ing, -ed, -es or -s
# Routing adds these to the text similarity when the question names what a template
# needs: two or more of the world's events (a funnel), one of its experiments, one of its
# product features.
BOOST = {"events": ("funnel_conversion", 0.2), "experiment": ("experiment_results", 0.2)}
FEATURE_BOOST = ("which_features_go_with_retention", 0.1)
ANALYSES = ROOT / "analyses"


class AskError(Exception):
    """A question that cannot be answered here, in one line."""


@dataclass
class World:
    """What a question's words may name in this warehouse."""

    breakdowns: list[str]
    events: list[str]
    experiments: list[str]
    features: list[str]
    first_day: dt.date
    last_day: dt.date


@dataclass
class Template:
    key: str
    title: str
    description: str  # the template's own wording, what retrieval reads
    build: Callable[[World, dict], str] | None = None  # the SQL, parameters filled
    analysis: str | None = None  # or the analysis in analyses/ it runs
    params: list[str] = field(default_factory=list)  # the parameters it reads


def _analysis_description(path: Path) -> str:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)


def _first(found: list[str], fallback: str | None) -> str | None:
    return found[0] if found else fallback


def templates() -> list[Template]:
    """Every template: the analyses first, then the dashboard's explorers."""
    made = [
        Template(
            key=path.stem,
            title=path.stem.replace("_", " ").capitalize() + "?",
            description=_analysis_description(path),
            analysis=path.stem,
        )
        for path in sorted(ANALYSES.glob("*.sql"))
    ]
    made += [
        Template(
            "kpi_trend",
            "Daily active users, new users and sessions over time",
            "How many users are active each day, week and month: DAU, WAU, MAU, "
            "stickiness, signups and sessions over a date range.",
            lambda w, p: q.kpi_daily(p["start"], p["end"]),
            params=["start", "end"],
        ),
        Template(
            "kpi_by_attribute",
            "Active users and signups split by an attribute",
            "Daily active users, sessions and signups broken down by a user attribute "
            "or segment, compared across its values.",
            lambda w, p: q.kpi_by_group(p["start"], p["end"], p["breakdown"] or w.breakdowns[0]),
            params=["start", "end", "breakdown"],
        ),
        Template(
            "retention_curve",
            "Retention curve by cohort and attribute",
            "Share of users still active n days, weeks or months after signup, by signup "
            "cohort, optionally split by an attribute; retention and churn over time.",
            lambda w, p: q.retention("month", p["period"] or "week", p["breakdown"]),
            params=["period", "breakdown"],
        ),
        Template(
            "funnel_conversion",
            "Conversion through a sequence of events",
            "Of the users who fire the first event, how many go on to fire each next event "
            "in order within a window: step conversion, drop-off and time to convert.",
            lambda w, p: q.funnel(p["events"], 14, p["breakdown"]),
            params=["events", "breakdown"],
        ),
        Template(
            "experiment_results",
            "An experiment's results",
            "The lift of each variant of an A/B test on every metric, with its confidence "
            "interval, CUPED, the sample ratio mismatch check and the planted effect.",
            lambda w, p: q.experiment(p["experiment"] or w.experiments[0], True),
            params=["experiment"],
        ),
        Template(
            "personas",
            "The personas found in behaviour",
            "Clusters of users with similar behaviour and their traits: size, depth, "
            "activity, day-7 retention, churn, conversion and favourite features.",
            lambda w, p: q.personas(),
        ),
        Template(
            "segment_activity",
            "Activity and retention by attribute",
            "For each value of a user attribute: users, sessions per user, active days, "
            "day-7 retention and the share churned.",
            lambda w, p: q.segment_activity(p["breakdown"] or w.breakdowns[0]),
            params=["breakdown"],
        ),
    ]
    return made


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_]+", text.lower())


def _named(question: str, names: list[str]) -> list[str]:
    """The names the question mentions, in the order it mentions them (an underscore may
    be a space)."""
    text = " " + " ".join(_tokens(question.replace("_", " "))) + " "
    found = []
    for name in names:
        spoken = " " + name.replace("_", " ").lower() + " "
        at = text.find(spoken)
        if at >= 0:
            found.append((at, name))
    return [name for _, name in sorted(found)]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:STEM]


def _stems(text: str) -> list[str]:
    return [_stem(t) for t in _tokens(text.replace("_", " "))]


def named_events(question: str, events: list[str]) -> list[str]:
    """The events whose every word the question uses (in any form: "generate a quiz"
    names quiz_generated), in the order the question first names each."""
    stems = _stems(question)
    found = []
    for event in events:
        own = _stems(event)
        if own and all(s in stems for s in own):
            found.append((min(stems.index(s) for s in own), event))
    return [event for _, event in sorted(found)]


def parameters(question: str, world: World) -> dict:
    """The parameters a question names: a breakdown, events in order, an experiment, a
    period, a year."""
    words = set(_tokens(question))
    period = next((p for p in ("day", "week", "month") if {p, p + "s", p + "ly"} & words), None)
    return {
        "breakdown": _first(_named(question, world.breakdowns), None),
        "events": named_events(question, world.events),
        "experiment": _first(_named(question, world.experiments), None),
        "period": period,
        "start": max(world.first_day, world.last_day - dt.timedelta(days=364)),
        "end": world.last_day,
    }


class Router:
    """TF-IDF retrieval over the templates' own wording (words and word pieces)."""

    def __init__(self, catalogue: list[Template]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
        from sklearn.pipeline import FeatureUnion  # noqa: PLC0415

        self.catalogue = catalogue
        self.vectorizer = FeatureUnion(
            [
                ("words", TfidfVectorizer(stop_words="english", sublinear_tf=True)),
                (
                    "pieces",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
                ),
            ]
        )
        texts = [f"{t.title} {t.description} {t.key.replace('_', ' ')}" for t in catalogue]
        self.matrix = self.vectorizer.fit_transform(texts)

    def rank(self, question: str, world: World | None = None) -> list[tuple[Template, float]]:
        """The templates by similarity to the question, plus the boosts for what it names
        of the world."""
        from sklearn.metrics.pairwise import cosine_similarity  # noqa: PLC0415

        scores = cosine_similarity(self.vectorizer.transform([question]), self.matrix)[0]
        if world is not None:
            keys = [t.key for t in self.catalogue]
            found = parameters(question, world)
            boosts = []
            if len(found["events"]) >= 2:
                boosts.append(BOOST["events"])
            if found["experiment"]:
                boosts.append(BOOST["experiment"])
            if _named(question, world.features):
                boosts.append(FEATURE_BOOST)
            for key, boost in boosts:
                if key in keys:
                    scores[keys.index(key)] += boost
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        return [(self.catalogue[i], float(scores[i])) for i in order]

    def route(self, question: str, world: World | None = None) -> Template:
        return self.rank(question, world)[0][0]


def world_of(wh: Warehouse) -> World:
    wh.check()
    bounds = wh.query("select min(kpi_date) as a, max(kpi_date) as b from marts.fct_kpi_daily")
    events = wh.query(q.funnel_events()).event_name.tolist()
    tables = wh.tables()
    experiments = (
        wh.query(q.experiments()).experiment_key.tolist()
        if "marts.fct_experiment_results" in tables
        else []
    )
    features = wh.query(
        "select distinct feature from marts.fct_events where feature is not null order by 1"
    ).feature.tolist()
    return World(
        breakdowns(wh),
        events,
        experiments,
        features,
        pd.Timestamp(bounds.a[0]).date(),
        pd.Timestamp(bounds.b[0]).date(),
    )


def compile_analysis(name: str, db: Path) -> str:
    """The analysis compiled by dbt against this warehouse (into a scratch target)."""
    dbt = Path(sys.executable).with_name("dbt")
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [
                str(dbt),
                "compile",
                "--select",
                name,
                "--target-path",
                scratch,
                "--log-path",
                scratch,
                "--quiet",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "DUCKDB_PATH": str(db)},
        )
        compiled = Path(scratch, "compiled", "proving_ground", "analyses", f"{name}.sql")
        if done.returncode != 0 or not compiled.exists():
            raise AskError(f"analyses/{name}.sql does not compile: {done.stdout[-300:]}")
        return compiled.read_text()


@dataclass
class Answer:
    template: Template
    score: float
    params: dict
    sql: str
    rows: pd.DataFrame

    def lines(self, shown: int = 20) -> list[str]:
        """The answer as the terminal shows it: the template, its parameters, the SQL and
        the first rows."""
        t = self.template
        source = f"analyses/{t.analysis}.sql" if t.analysis else f"dashboard explorer {t.key}"
        filled = ", ".join(
            f"{k}={', '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in self.params.items()
        )
        with pd.option_context("display.width", 160, "display.max_columns", 12):
            table = self.rows.head(shown).to_string(index=False)
        return [
            f"template: {t.title} ({source}; match {self.score:.2f})",
            f"parameters: {filled or 'none'}",
            "",
            self.sql.strip(),
            "",
            f"{len(self.rows):,} rows"
            + (f", the first {shown}:" if len(self.rows) > shown else ":"),
            table,
        ]


def ask(question: str, db: str | Path) -> Answer:
    """Route the question, fill the template and run it on the warehouse."""
    if not question.strip():
        raise AskError("an empty question")
    wh = Warehouse(Path(db).resolve())
    try:
        world = world_of(wh)
        template, score = Router(templates()).rank(question, world)[0]
        params = parameters(question, world)
        if template.analysis:
            sql = compile_analysis(template.analysis, wh.path)
        else:
            assert template.build is not None
            if template.key == "funnel_conversion" and len(params["events"]) < 2:
                raise AskError(
                    "a funnel needs two or more event names in the question, in order; "
                    f"this world's: {', '.join(world.events[:12])}"
                )
            if template.key == "experiment_results" and not world.experiments:
                raise AskError("this world runs no experiments")
            sql = template.build(world, params)
        rows = wh.query(sql)
    except WarehouseError as exc:
        raise AskError(str(exc)) from None
    used = {k: params[k] for k in template.params}
    return Answer(template, score, used, sql, rows)
