"""The executive deck: `make deck` writes a PowerPoint file over a built warehouse, with the
key numbers, the main charts as images and one recommendation per section computed from
the marts, each with the evidence behind it:

- Experiments: the variants worth shipping (a significant gain after Benjamini-Hochberg,
  no significant loss, no sample ratio mismatch);
- Funnels: the leakiest step (the lowest conversion from the step before);
- Marketing: the channel with the best return on spend under the most attribution models;
- Churn: the strongest drivers of the churn model and how well it predicts.

The numbers come from the report's queries (reports/*.sql); a section whose behaviour the
world lacks says so on its slide."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from generator.outputs import OutputError, open_read_only, write_atomically
from generator.report import DEFAULT_SQL_DIR, NoRows, Queries, ReportError

DECK_MARK = "Proving Ground deck"  # the file's subject: how a deck of ours is recognised
SIGNIFICANCE = 0.05
SRM_ALPHA = 0.001
BLUE, ORANGE, GREY = "#2563eb", "#f97316", "#9ca3af"


class DeckError(Exception):
    """A deck cannot be made: missing or unbuilt warehouse, or an output we did not write."""


@dataclass
class Slide:
    title: str
    recommendation: str  # one sentence, or what the world lacks
    evidence: list[str]
    chart: bytes | None = None  # a PNG


@dataclass
class DeckSummary:
    path: Path
    slides: int
    charts: int

    def lines(self) -> list[str]:
        return [f"wrote {self.path}: {self.slides} slides, {self.charts} charts"]


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt  # noqa: PLC0415

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _figure(width: float = 9, height: float = 4.2):
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(width, height))
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


# --- sections ---------------------------------------------------------------------------


def key_numbers(q: Queries) -> Slide:
    t = q("kpi_tiles").iloc[0]
    kpi = q("kpi_daily")
    evidence = [
        f"{t.users:,.0f} users signed up by {t.as_of_date:%d %B %Y}",
        f"DAU {t.dau:,.0f}, MAU {t.mau:,.0f}: DAU/MAU {_pct(t.dau_mau)}",
        f"day-7 retention {_pct(t.day_7_retention)}",
    ]
    if not pd.isna(t.mrr_month):
        evidence.append(
            f"MRR {t.mrr:,.0f} from {t.paying_customers:,.0f} paying customers "
            f"(logo churn {_pct(t.logo_churn_rate)} in {t.mrr_month:%B %Y})"
        )
    fig, ax = _figure()
    weekly = kpi.set_index(pd.to_datetime(kpi.kpi_date))[["dau", "new_users"]].resample("W").mean()
    ax.plot(weekly.index, weekly.dau, color=BLUE, label="DAU (weekly mean)")
    ax.plot(weekly.index, weekly.new_users, color=ORANGE, label="new users a day")
    ax.legend(frameon=False)
    first, last = weekly.dau.iloc[:13].mean(), weekly.dau.iloc[-13:].mean()
    growth = f"DAU grew {last / first:.1f}x" if first > 0 else "DAU is new"
    return Slide(
        "Key numbers",
        f"{growth} from the first quarter to the last; keep the growth engine funded.",
        evidence,
        _png(fig),
    )


def experiments(q: Queries) -> Slide:
    lifts = q("experiments")
    srm = lifts.groupby("experiment_key").srm_p_value.min()
    significant = lifts.p_value_adjusted < SIGNIFICANCE
    wins = lifts[significant & (lifts.ci_lower > 0)]
    losses = lifts[significant & (lifts.ci_upper < 0)]
    ship = []
    for (key, variant), part in wins.groupby(["experiment_key", "variant"]):
        lost = losses[(losses.experiment_key == key) & (losses.variant == variant)]
        if lost.empty and not srm.get(key, 1.0) < SRM_ALPHA:
            best = part.loc[part.relative_lift.idxmax()]
            ship.append((key, variant, best))
    evidence = [
        f"{key} / {variant}: {best.metric} {best.relative_lift:+.1%} "
        f"(95% CI {best.ci_lower:+.1%} to {best.ci_upper:+.1%}, "
        f"adjusted p {max(best.p_value_adjusted, 1e-6):.2g})"
        for key, variant, best in ship
    ]
    held = sorted(k for k, p in srm.items() if p < SRM_ALPHA)
    if held:
        evidence.append(f"not judged, the split is off (SRM p < {SRM_ALPHA}): {', '.join(held)}")
    if ship:
        text = (
            "Ship "
            + ", ".join(f"{v} of {k}" for k, v, _ in ship)
            + ": each wins a metric and loses none."
        )
    else:
        text = "Ship nothing yet: no variant wins a metric without losing another."
    fig, ax = _figure(9, max(3.0, 0.28 * len(lifts) + 1))
    labels = lifts.experiment_key + " · " + lifts.variant + " · " + lifts.metric
    y = range(len(lifts))
    ax.errorbar(
        lifts.relative_lift,
        list(y),
        xerr=[lifts.relative_lift - lifts.ci_lower, lifts.ci_upper - lifts.relative_lift],
        fmt="o",
        color=BLUE,
        markersize=3,
    )
    ax.axvline(0, color=GREY, linewidth=1)
    ax.set_yticks(list(y), labels, fontsize=6)
    ax.set_xlabel("relative lift with 95% CI")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:+.0%}")
    return Slide("Experiments", text, evidence, _png(fig))


def funnels(q: Queries) -> Slide:
    steps = q("funnels")
    steps = steps[(steps.role == "(all)") & (steps.step_number > 1)]
    if steps.empty:
        raise NoRows("funnels")
    worst = steps.loc[steps.conversion_from_previous.idxmin()]
    before = steps[
        (steps.funnel_name == worst.funnel_name) & (steps.step_number == worst.step_number - 1)
    ]
    previous = before.event_name.iloc[0] if len(before) else "the first step"
    lost = (
        int(before.users_reaching.iloc[0] - worst.users_reaching)
        if len(before)
        else int(worst.users_entering - worst.users_reaching)
    )
    text = (
        f"Fix {previous} -> {worst.event_name} in {worst.funnel_name}: only "
        f"{_pct(worst.conversion_from_previous)} get through, the leakiest step of any funnel."
    )
    evidence = [
        f"{lost:,} users reached {previous} and stopped there",
        f"{worst.funnel_name} converts {_pct(worst.conversion_from_start)} "
        "from its first step to this one",
    ]
    fig, ax = _figure()
    for name, part in steps.groupby("funnel_name"):
        ax.plot(part.step_number, part.conversion_from_previous, marker="o", label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("conversion from the step before")
    ax.legend(frameon=False, fontsize=8)
    return Slide("Funnels", text, evidence, _png(fig))


def marketing(q: Queries) -> Slide:
    credited = q("attribution")
    credited = credited[credited.spend > 0].copy()
    if credited.empty:
        raise NoRows("attribution")
    credited["roas"] = credited.attributed_revenue / credited.spend
    leaders = credited.loc[credited.groupby("attribution_model").roas.idxmax()]
    votes = leaders.channel.value_counts()
    best = str(votes.index[0])
    mine = credited[credited.channel == best]
    text = (
        f"Move budget toward {best}: it returns the most per unit of spend under "
        f"{votes.iloc[0]} of {len(leaders)} attribution models."
    )
    evidence = [
        f"{r.attribution_model}: ROAS {r.roas:.2f}, CAC {r.cac:,.2f}" for r in mine.itertuples()
    ]
    pivot = credited.pivot_table(index="channel", columns="attribution_model", values="roas")
    fig, ax = _figure()
    pivot.plot.bar(ax=ax, width=0.8)
    ax.set_ylabel("ROAS (attributed revenue / spend)")
    ax.legend(frameon=False, fontsize=7)
    ax.tick_params(axis="x", rotation=0)
    return Slide("Marketing", text, evidence, _png(fig))


def churn(q: Queries) -> Slide:
    drivers = q("churn_drivers")
    evaluation = q("churn_evaluation").set_index("split")
    if "test" not in evaluation.index:
        raise NoRows("churn_evaluation")
    test = evaluation.loc["test"]
    top = drivers[drivers.feature_kind != "control"].head(3)
    text = (
        "Act on the strongest churn signals: "
        + "; ".join(
            f"{r.feature} (riskier when {r.riskier_when})" if r.riskier_when else r.feature
            for r in top.itertuples()
        )
        + "."
    )
    controls = drivers[drivers.feature_kind == "control"]
    evidence = [
        f"the model separates churners with AUC {test.auc:.3f} on {test.users:,.0f} later signups",
        f"{_pct(test.churned_share)} of them churned; predictions off by "
        f"{_pct(test.calibration_error)} per decile",
        f"random controls rank {', '.join(map(str, controls.importance_rank))} of {len(drivers)}",
    ]
    shown = drivers.head(10).iloc[::-1]
    fig, ax = _figure()
    colours = [GREY if k == "control" else BLUE for k in shown.feature_kind]
    ax.barh(shown.feature, shown.importance, color=colours)
    ax.set_xlabel("mean |SHAP| on held-out users (log-odds)")
    return Slide("Churn", text, evidence, _png(fig))


SECTIONS = [
    ("Key numbers", "activity", key_numbers),
    ("Experiments", "experiments", experiments),
    ("Funnels", "funnels", funnels),
    ("Marketing", "marketing spend", marketing),
    ("Churn", "users whose churn window has passed", churn),
]


def slides(con: duckdb.DuckDBPyConnection, sql_dir: str | Path = DEFAULT_SQL_DIR) -> list[Slide]:
    q = Queries(con, Path(sql_dir))
    made = []
    for title, lacking, make in SECTIONS:
        try:
            made.append(make(q))
        except NoRows:
            made.append(Slide(title, f"Nothing to recommend: this world has no {lacking}.", []))
    return made


# --- the file ---------------------------------------------------------------------------


def _check_out(out: Path) -> None:
    """The deck replaces only a deck of ours."""
    from pptx import Presentation  # noqa: PLC0415

    if out.is_symlink() or (out.exists() and not out.is_file()):
        raise DeckError(f"{out}: not a file; give the path of a .pptx file")
    if out.exists():
        try:
            subject = Presentation(str(out)).core_properties.subject
        except Exception:  # noqa: BLE001 (any unreadable file is not ours)
            subject = ""
        if subject != DECK_MARK:
            raise DeckError(f"{out}: exists and is not a deck of ours; choose another --out")


def _write(made: list[Slide], db: Path, out: Path) -> int:
    from pptx import Presentation  # noqa: PLC0415
    from pptx.util import Inches, Pt  # noqa: PLC0415

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    deck.core_properties.subject = DECK_MARK
    deck.core_properties.title = f"Proving Ground: {db.stem}"
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "Where the product stands"
    cover.placeholders[1].text = f"From the marts of {db.name}"
    charts = 0
    for s in made:
        slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
        slide.shapes.title.text = s.title
        box = slide.shapes.add_textbox(Inches(0.5), Inches(1.3), Inches(5.2), Inches(5.6))
        frame = box.text_frame
        frame.word_wrap = True
        frame.text = s.recommendation
        frame.paragraphs[0].runs[0].font.size = Pt(20)
        frame.paragraphs[0].runs[0].font.bold = True
        if s.evidence:
            heading = frame.add_paragraph()
            heading.text = "Evidence"
            heading.runs[0].font.size = Pt(14)
            for line in s.evidence:
                p = frame.add_paragraph()
                p.text = f"• {line}"
                p.runs[0].font.size = Pt(13)
        if s.chart:
            charts += 1
            slide.shapes.add_picture(
                io.BytesIO(s.chart), Inches(5.9), Inches(1.4), width=Inches(7.1)
            )
    try:
        write_atomically(out, lambda path: deck.save(str(path)))
    except OutputError as exc:
        raise DeckError(str(exc)) from None
    return charts


def build_deck(
    db: str | Path, out: str | Path, sql_dir: str | Path = DEFAULT_SQL_DIR
) -> DeckSummary:
    db, out = Path(db), Path(out)
    _check_out(out)
    try:
        con = open_read_only(db)
    except OutputError as exc:
        raise DeckError(str(exc)) from None
    try:
        marts = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        if not marts or marts[0][0] == 0:
            raise DeckError(f"{db}: no marts yet (run dbt build, or make build)")
        made = slides(con, sql_dir)
    except ReportError as exc:
        raise DeckError(str(exc)) from None
    finally:
        con.close()
    charts = _write(made, db, out)
    return DeckSummary(out, len(made) + 1, charts)
