"""The report: one static HTML page over a built warehouse, in the spirit of Evidence: for
each section a short narrative with the numbers filled in, the charts, and the SQL behind
them (the queries live in `reports/*.sql`, one per chart or table). plotly.js is embedded,
so the page opens offline. The last section sets what the simulator planted (truth) beside
what the marts measure."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from generator.outputs import OutputError, open_read_only, write_atomically

DEFAULT_SQL_DIR = "reports"
TEMPLATE = "plotly_white"
REPORT_MARK = "<title>Proving Ground report</title>"  # how a report is recognised
MAX_CURVE_PANELS = 4
PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04"]


class ReportError(Exception):
    """A report cannot be made from this warehouse (missing file, marts or queries)."""


@dataclass
class Section:
    text: str
    figures: list[go.Figure] = field(default_factory=list)
    html_blocks: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    tables_after_charts: bool = False
    key: str = ""
    title: str = ""


class NoRows(Exception):
    """A section's query found nothing: the world has no such behaviour."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass
class ReportSummary:
    path: Path
    sections: int
    charts: int
    checks: int
    checks_within: int

    def lines(self) -> list[str]:
        return [
            f"wrote {self.path}: {self.sections} sections, {self.charts} charts",
            f"planted vs measured: {self.checks_within} of {self.checks} within 4 standard errors",
        ]


class Queries:
    """Runs the report's SQL files on a read-only connection and keeps their text."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sql_dir: Path) -> None:
        self.con = con
        self.sql_dir = sql_dir
        self.text: dict[str, str] = {}

    def __call__(self, name: str, may_be_empty: bool = False) -> pd.DataFrame:
        """The query's rows; NoRows when it has none and must have some."""
        path = self.sql_dir / f"{name}.sql"
        if not path.exists():
            raise ReportError(f"{path}: no such query file")
        sql = path.read_text()
        self.text[name] = sql
        try:
            frame = self.con.execute(sql).df()
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise ReportError(f"{path}: {first}") from exc
        if frame.empty and not may_be_empty:
            raise NoRows(name)
        return frame


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _num(x: float) -> str:
    return f"{x:,.0f}"


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


# --- sections -------------------------------------------------------------------------


def _kpi_tiles(q: Queries) -> Section:
    t = q("kpi_tiles").iloc[0]
    tiles = [
        ("Users", _num(t.users), "signed up by the as-of date"),
        ("DAU", _num(t.dau), f"on {t.as_of_date:%Y-%m-%d}"),
        ("WAU", _num(t.wau), "7 days ending that day"),
        ("MAU", _num(t.mau), "28 days ending that day"),
        ("DAU / MAU", _pct(t.dau_mau), "stickiness"),
        ("Day-7 retention", _pct(t.day_7_retention), "all cohorts"),
    ]
    paying = not pd.isna(t.mrr_month)  # a world without subscriptions has no revenue tiles
    if paying:
        tiles += [
            ("MRR", f"{t.mrr:,.0f}", f"end of {t.mrr_month:%B %Y}"),
            ("Paying customers", _num(t.paying_customers), f"end of {t.mrr_month:%B %Y}"),
            ("Logo churn", _pct(t.logo_churn_rate), f"in {t.mrr_month:%B %Y}"),
        ]
    cells = "".join(
        f'<div class="tile"><div class="tile-label">{html.escape(label)}</div>'
        f'<div class="tile-value">{html.escape(value)}</div>'
        f'<div class="tile-note">{html.escape(note)}</div></div>'
        for label, value, note in tiles
    )
    text = (
        f"The warehouse holds {_num(t.users)} users up to {t.as_of_date:%d %B %Y}. On that "
        f"day {_num(t.dau)} of them were active, {_pct(t.dau_mau)} of the month's active "
        "users"
    )
    if paying:
        text += (
            f"; {_num(t.paying_customers)} customers paid {t.mrr:,.0f} of monthly recurring revenue"
        )
    text += "."

    return Section(
        text,
        html_blocks=[f'<div class="tiles">{cells}</div>'],
        queries=["kpi_tiles"],
    )


def _activity(q: Queries) -> Section:
    kpi = q("kpi_daily")
    planted = q("kpi_anomalies_planted", may_be_empty=True)
    flagged = q("kpi_anomalies_flagged", may_be_empty=True)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("New users per day", "Active users: DAU, WAU, MAU"),
    )
    fig.add_trace(
        go.Scatter(
            x=kpi.kpi_date,
            y=kpi.new_users,
            name="new users",
            line={"color": PALETTE[4], "width": 1},
        ),
        row=1,
        col=1,
    )
    for i, metric in enumerate(["dau", "wau", "mau"]):
        fig.add_trace(
            go.Scatter(
                x=kpi.kpi_date,
                y=kpi[metric],
                name=metric.upper(),
                line={"color": PALETTE[i], "width": 1.2},
            ),
            row=2,
            col=1,
        )
    for metric, row in (("new_users", 1), ("dau", 2)):
        days = flagged[flagged.metric == metric]
        fig.add_trace(
            go.Scatter(
                x=days.kpi_date,
                y=days.metric_value,
                mode="markers",
                name=f"flagged {metric.replace('_', ' ')} day",
                marker={
                    "symbol": "circle-open",
                    "size": 13,
                    "color": "#dc2626",
                    "line": {"width": 2},
                },
            ),
            row=row,
            col=1,
        )
    for a in planted.itertuples():
        fig.add_vline(
            x=pd.Timestamp(a.anomaly_date).timestamp() * 1000,
            line={"dash": "dot", "color": "#6b7280", "width": 1},
        )
        fig.add_annotation(
            x=pd.Timestamp(a.anomaly_date),
            y=1.0,
            yref="paper",
            text=a.anomaly_name.replace("_", " "),
            showarrow=False,
            textangle=-90,
            xanchor="right",
            yanchor="top",
            font={"size": 10, "color": "#6b7280"},
        )
    _layout(fig, "Daily activity, planted anomalies (dotted) and flagged days (circles)", 620)
    caught = sorted(
        set(flagged.kpi_date.dt.date) & set(pd.to_datetime(planted.anomaly_date).dt.date)
    )
    peak = kpi.loc[kpi.dau.idxmax()]
    text = (
        f"New users averaged {_num(kpi.new_users.iloc[:90].mean())} a day in the first 90 "
        f"days and {_num(kpi.new_users.iloc[-90:].mean())} in the last 90. DAU "
        f"peaks at {_num(peak.dau)} on {peak.kpi_date:%d %b %Y}. The simulator planted "
        f"{planted.anomaly_name.nunique()} anomalies over {len(planted)} days (dotted lines: "
        f"{', '.join(planted.anomaly_name.unique())}); "
        f"fct_kpi_anomalies flags {flagged.kpi_date.nunique()} days on new users, DAU or "
        f"sessions (circles), {len(caught)} of them planted."
    )
    return Section(
        text,
        [fig],
        queries=["kpi_daily", "kpi_anomalies_planted", "kpi_anomalies_flagged"],
    )


def _retention(q: Queries) -> Section:
    cells = q("retention_heatmap")
    curves = q("retention_curves")
    grid = cells.pivot(
        index="cohort_month", columns="period_number", values="retention_rate_on"
    ).sort_index()
    labels = [f"{d:%Y-%m}" for d in grid.index]
    heat = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=list(grid.columns),
            y=labels,
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar={"title": "active", "tickformat": ".0%"},
            hovertemplate="cohort %{y}<br>month %{x}<br>%{z:.1%} active<extra></extra>",
        )
    )
    heat.update_yaxes(autorange="reversed", title="signup cohort")
    heat.update_xaxes(title="months since signup")
    _layout(heat, "Monthly retention by signup cohort", 560)

    # the role and the world's attributes, as many as fit side by side
    breakdowns = ["role", *sorted(set(curves.breakdown) - {"role"})][:MAX_CURVE_PANELS]
    fig = make_subplots(
        rows=1,
        cols=len(breakdowns),
        shared_yaxes=True,
        subplot_titles=[b.replace("_", " ") for b in breakdowns],
    )
    for col, b in enumerate(breakdowns, start=1):
        part = curves[curves.breakdown == b]
        for i, (value, rows) in enumerate(part.groupby("breakdown_value", sort=True)):
            fig.add_trace(
                go.Scatter(
                    x=rows.week_number,
                    y=rows.retention_rate,
                    name=str(value),
                    mode="lines+markers",
                    marker={"size": 4},
                    line={"color": PALETTE[i % len(PALETTE)]},
                    legendgroup=b,
                    legendgrouptitle_text=b.replace("_", " "),
                ),
                row=1,
                col=col,
            )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(title="weeks since signup")
    _layout(fig, "Weekly retention curves by observable attribute", 460)
    fig.update_layout(legend={"orientation": "v", "y": 1, "x": 1.02})

    month1 = cells[cells.period_number == 1].dropna()
    best = month1.loc[month1.retention_rate_on.idxmax()]
    worst = month1.loc[month1.retention_rate_on.idxmin()]
    week4 = curves[(curves.breakdown == "role") & (curves.week_number == 4)]
    roles = ", ".join(f"{r.breakdown_value} {_pct(r.retention_rate)}" for r in week4.itertuples())
    text = (
        "Each cell is the share of a signup cohort active in month n after signup, over "
        "the users for whom month n has fully elapsed (unfinished months are blank). "
        f"Month-1 retention ranges from {_pct(worst.retention_rate_on)} "
        f"({worst.cohort_month:%b %Y}) to {_pct(best.retention_rate_on)} "
        f"({best.cohort_month:%b %Y}). The curves break weekly retention down by what an "
        f"analyst can observe; in week 4: {roles}."
    )
    return Section(
        text,
        [heat, fig],
        queries=["retention_heatmap", "retention_curves"],
    )


def _funnels(q: Queries) -> Section:
    steps = q("funnels")
    names = sorted(steps.funnel_name.unique())
    cols = 2
    rows = max(1, (len(names) + 1) // 2)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, vertical_spacing=0.2)
    groups = sorted(steps.role.unique(), key=lambda r: (r != "(all)", r))
    colors = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    for n, name in enumerate(names):
        r, c = n // cols + 1, n % cols + 1
        funnel = steps[steps.funnel_name == name]
        for g in groups:
            part = funnel[funnel.role == g].sort_values("step_number")
            fig.add_trace(
                go.Bar(
                    x=[f"{s}. {e}" for s, e in zip(part.step_number, part.event_name, strict=True)],
                    y=part.conversion_from_start,
                    name=g,
                    marker_color=colors[g],
                    legendgroup=g,
                    showlegend=n == 0,
                    hovertemplate="%{x}<br>%{y:.1%} of step 1<extra>" + g + "</extra>",
                ),
                row=r,
                col=c,
            )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    _layout(fig, "Share of users reaching each step, by role", 320 * rows + 120)
    fig.update_layout(barmode="group")
    overall = steps[steps.role == "(all)"]
    last = overall.loc[overall.groupby("funnel_name").step_number.idxmax()]
    worst = overall[overall.step_number > 1].sort_values("conversion_from_previous").iloc[0]
    text = (
        "Funnels follow PostHog's ordered, windowed definition (each funnel's steps and window "
        "are in dbt_project.yml). End-to-end conversion: "
        + ", ".join(f"{r.funnel_name} {_pct(r.conversion_from_start)}" for r in last.itertuples())
        + f". The leakiest step is {worst.funnel_name}'s {worst.event_name}, reached by "
        f"{_pct(worst.conversion_from_previous)} of those at the step before."
    )
    return Section(text, [fig], queries=["funnels"])


def _lifecycle(q: Queries) -> Section:
    status = q("lifecycle_status")
    stages = q("lifecycle_stages")
    order = ["new", "returning", "resurrecting", "dormant"]
    colors = {
        "new": PALETTE[0],
        "returning": PALETTE[2],
        "resurrecting": PALETTE[5],
        "dormant": PALETTE[3],
    }
    fig = go.Figure()
    for s in order:
        part = status[status.status == s]
        fig.add_trace(
            go.Bar(x=part.lifecycle_week, y=part.signed_users, name=s, marker_color=colors[s])
        )
    fig.update_layout(barmode="relative", bargap=0)
    _layout(fig, "Weekly lifecycle: new, returning, resurrecting and dormant (negative) users")

    stage_order = ["onboarding", "activated", "engaged", "dormant", "exited"]
    fig2 = go.Figure()
    for i, s in enumerate(stage_order):
        part = stages[stages.lifecycle_stage == s]
        fig2.add_trace(
            go.Bar(x=part.week_start, y=part.users, name=s, marker_color=PALETTE[i % len(PALETTE)])
        )
    fig2.update_layout(barmode="stack", bargap=0)
    _layout(fig2, "Users by lifecycle stage at each week's start")

    last_week = stages[stages.week_start == stages.week_start.max()]
    shares = ", ".join(
        f"{r.lifecycle_stage} {_pct(r.share_of_users)}"
        for r in last_week.sort_values("users", ascending=False).itertuples()
    )
    text = (
        "Growth accounting (PostHog's lifecycle) splits each week's active users into new, "
        "returning and resurrecting, against those who went dormant. The stages "
        "(macro lifecycle_stage) place every user who has signed up; in the last week: "
        f"{shares}."
    )
    return Section(
        text,
        [fig, fig2],
        queries=["lifecycle_status", "lifecycle_stages"],
    )


def _revenue(q: Queries) -> Section:
    m = q("mrr_bridge")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    parts = [
        ("new_mrr", 1, PALETTE[0]),
        ("expansion_mrr", 1, PALETTE[2]),
        ("reactivation_mrr", 1, PALETTE[5]),
        ("contraction_mrr", -1, PALETTE[1]),
        ("churned_mrr", -1, PALETTE[3]),
    ]
    for col, sign, color in parts:
        fig.add_trace(
            go.Bar(
                x=m.mrr_month, y=sign * m[col], name=col.replace("_mrr", ""), marker_color=color
            ),
            secondary_y=False,
        )
    fig.add_trace(
        go.Scatter(
            x=m.mrr_month, y=m.ending_mrr, name="ending MRR", line={"color": "#111827", "width": 2}
        ),
        secondary_y=True,
    )
    fig.update_layout(barmode="relative")
    fig.update_yaxes(title="movement", secondary_y=False)
    fig.update_yaxes(title="MRR", secondary_y=True, rangemode="tozero")
    _layout(fig, "MRR movements by month (ChartMogul's bridge) and ending MRR")

    last = m.iloc[-1]
    steps = [
        ("starting", last.starting_mrr, "absolute"),
        ("new", last.new_mrr, "relative"),
        ("expansion", last.expansion_mrr, "relative"),
        ("reactivation", last.reactivation_mrr, "relative"),
        ("contraction", -last.contraction_mrr, "relative"),
        ("churn", -last.churned_mrr, "relative"),
        ("ending", last.ending_mrr, "total"),
    ]
    water = go.Figure(
        go.Waterfall(
            x=[s[0] for s in steps],
            y=[s[1] for s in steps],
            measure=[s[2] for s in steps],
            connector={"line": {"color": "#9ca3af"}},
            increasing={"marker": {"color": PALETTE[2]}},
            decreasing={"marker": {"color": PALETTE[3]}},
            totals={"marker": {"color": PALETTE[0]}},
        )
    )
    _layout(water, f"MRR bridge for {last.mrr_month:%B %Y}", 380)
    text = (
        f"MRR grew from {last.starting_mrr:,.0f} to {last.ending_mrr:,.0f} in "
        f"{last.mrr_month:%B %Y}: {last.new_mrr:,.0f} new, {last.expansion_mrr:,.0f} "
        f"expansion, {last.reactivation_mrr:,.0f} reactivation, "
        f"{last.contraction_mrr:,.0f} contraction and {last.churned_mrr:,.0f} churned "
        f"(quick ratio {last.quick_ratio:.2f}). Annual plans count as a twelfth of their "
        "price each month; the bridge holds every month (a dbt test)."
    )
    return Section(text, [fig, water], queries=["mrr_bridge"])


def _experiments(q: Queries) -> Section:
    r = q("experiments").iloc[::-1].reset_index(drop=True)
    labels = [
        f"{e} · {v} · {m}" for e, v, m in zip(r.experiment_key, r.variant, r.metric, strict=True)
    ]
    significant = r.p_value_adjusted < 0.05
    fig = go.Figure()
    for flag, name, color in (
        (False, "measured lift (95% CI)", PALETTE[0]),
        (True, "measured, significant after BH", PALETTE[3]),
    ):
        part = r[significant == flag]
        fig.add_trace(
            go.Scatter(
                x=part.relative_lift,
                y=[labels[i] for i in part.index],
                mode="markers",
                name=name,
                marker={"color": color, "size": 8},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": part.ci_upper - part.relative_lift,
                    "arrayminus": part.relative_lift - part.ci_lower,
                    "thickness": 1.5,
                },
                customdata=part.p_value_adjusted,
                hovertemplate="%{y}<br>lift %{x:.1%}<br>BH p %{customdata:.3g}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=r.planted_lift,
            y=labels,
            mode="markers",
            name="planted lift",
            marker={"symbol": "diamond-open", "size": 10, "color": "#111827"},
        )
    )
    fig.add_vline(x=0, line={"color": "#6b7280", "width": 1})
    fig.update_xaxes(tickformat=".0%", title="relative lift against control")
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels)
    _layout(
        fig,
        "Experiment results: relative lift with 95% CI (GrowthBook's frequentist engine)",
        max(420, 24 * len(r) + 160),
    )
    fig.update_layout(margin={"l": 330})
    srm = r.drop_duplicates("experiment_key")
    srm_hits = srm[srm.srm_p_value < 0.001].experiment_key.tolist()
    planted = r[r.planted_lift.abs() > 1e-9]
    text = (
        f"{r.experiment_key.nunique()} experiments, {len(r)} variant x metric results. The "
        "bars are 95% confidence intervals of the relative lift (delta method); red results "
        "stay significant after Benjamini-Hochberg; diamonds mark the lift the simulator "
        f"planted ({len(planted)} results carry a planted effect). "
        + (
            f"Sample-ratio mismatch detected (p < 0.001) in {', '.join(srm_hits)}: its "
            "lift is not to be trusted."
            if srm_hits
            else "No sample-ratio mismatch detected."
        )
    )
    return Section(text, [fig], queries=["experiments"])


def _attribution(q: Queries) -> Section:
    a = q("attribution")
    paid = a[a.channel != "none"]
    channels = sorted(paid.channel.unique())
    models = ["first_touch", "last_touch", "linear", "time_decay", "position_based"]
    fig = go.Figure()
    for i, model in enumerate(models):
        part = paid[paid.attribution_model == model].set_index("channel").reindex(channels)
        fig.add_trace(
            go.Bar(
                x=channels,
                y=part.attributed_conversions,
                name=model.replace("_", " "),
                marker_color=PALETTE[i],
            )
        )
    caused = paid.drop_duplicates("channel").set_index("channel").reindex(channels)
    fig.add_trace(
        go.Bar(
            x=channels,
            y=caused.caused_conversions,
            name="caused (planted, incremental)",
            marker_color="#111827",
        )
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="conversions")
    _layout(fig, "Conversions credited to each channel by attribution model, and caused")
    last = paid[paid.attribution_model == "last_touch"].set_index("channel")
    credited, caused_total = last.attributed_conversions.sum(), caused.caused_conversions.sum()
    text = (
        "Rules-based attribution shares each conversion among the touches in the window "
        "before it (attribution_window_days in dbt_project.yml); the black bars are what "
        "the channel's touches caused (truth: the conversions that removing them would "
        f"lose). In all, last touch credits the paid channels with {_num(credited)} "
        f"conversions against {_num(caused_total)} caused: "
        + ", ".join(
            f"{c} {last.attributed_conversions[c]:,.0f} last-touch vs "
            f"{caused.caused_conversions[c]:,.0f} caused"
            for c in channels
        )
        + ". Last-touch CAC: "
        + ", ".join(f"{c} {last.cac[c]:,.2f}" for c in channels)
        + "."
    )
    return Section(text, [fig], queries=["attribution"])


def _adoption(q: Queries) -> Section:
    a = q("adoption")
    launched = a[a.expected_cumulative_adopters.notna()]
    figs = []
    for feature, part in launched.groupby("feature"):
        fig = go.Figure()
        upper = part.expected_cumulative_adopters + 4 * part.expected_sd
        lower = part.expected_cumulative_adopters - 4 * part.expected_sd
        fig.add_trace(
            go.Scatter(
                x=part.adoption_date, y=upper, line={"width": 0}, showlegend=False, hoverinfo="skip"
            )
        )
        fig.add_trace(
            go.Scatter(
                x=part.adoption_date,
                y=lower,
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(37,99,235,0.15)",
                name="planted ± 4 sd",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=part.adoption_date,
                y=part.expected_cumulative_adopters,
                name="planted (Bass diffusion)",
                line={"dash": "dash", "color": PALETTE[0]},
            )
        )
        fig.add_trace(
            go.Scatter(
                x=part.adoption_date,
                y=part.cumulative_adopters,
                name="measured",
                line={"color": PALETTE[1]},
            )
        )
        _layout(fig, f"{feature}: cumulative adopters since launch")
        figs.append(fig)
    share = go.Figure()
    a = a.sort_values(["feature", "adoption_date"])
    for i, (feature, part) in enumerate(a.groupby("feature")):
        smooth = part.share_of_active_users.rolling(7, min_periods=1).mean()
        share.add_trace(
            go.Scatter(
                x=part.adoption_date,
                y=smooth,
                name=str(feature),
                line={"color": PALETTE[i % len(PALETTE)]},
            )
        )
    share.update_yaxes(tickformat=".0%", rangemode="tozero")
    _layout(share, "Share of each day's active users who have adopted the feature (7-day mean)")
    figs.append(share)
    launch = launched.groupby("feature").adoption_date.min()
    unlaunched = set(a.feature) - set(launched.feature)
    finals = launched.loc[launched.groupby("feature").adoption_date.idxmax()]
    text = (
        "A user adopts a feature on their first use of it. "
        + " ".join(
            f"{r.feature} launched on {launch[r.feature]:%d %b %Y} and has "
            f"{_num(r.cumulative_adopters)} adopters by the as-of date against "
            f"{_num(r.expected_cumulative_adopters)} planted (sd {r.expected_sd:,.0f})."
            for r in finals.itertuples()
        )
        + (
            f" No launch was planted for {', '.join(sorted(unlaunched))}: they were there "
            "from the start."
            if unlaunched
            else ""
        )
    )
    return Section(text, figs, queries=["adoption"])


def _llm(q: Queries) -> Section:
    m = q("llm_quality")
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=("mean rating (1-5)", "hallucination flags", "median latency (ms)"),
    )
    for i, (model, part) in enumerate(m.groupby("model_version", sort=True)):
        color = PALETTE[i % len(PALETTE)]
        for col, y in enumerate(["mean_rating", "hallucination_rate", "median_latency_ms"], 1):
            fig.add_trace(
                go.Scatter(
                    x=part.response_month,
                    y=part[y],
                    name=str(model),
                    line={"color": color},
                    legendgroup=str(model),
                    showlegend=col == 1,
                    mode="lines+markers",
                    marker={"size": 4},
                ),
                row=1,
                col=col,
            )
    fig.update_yaxes(tickformat=".1%", row=1, col=2)
    _layout(fig, "Answer quality by model version and month")
    totals = m.groupby("model_version").agg(
        rating_sum=("rating_sum", "sum"),
        rated=("rated_responses", "sum"),
        flagged=("flagged_hallucinations", "sum"),
        responses=("responses", "sum"),
        first_month=("response_month", "min"),
    )
    text = (
        "Users rate some answers from 1 to 5 and flag some as hallucinations. "
        + "; ".join(
            f"{model} (answering from {r.first_month:%b %Y}): "
            + (
                f"mean rating {r.rating_sum / r.rated:.2f}"
                if pd.notna(r.rated) and r.rated > 0
                else "no answer rated"
            )
            + f", {_pct(r.flagged / r.responses)} flagged"
            for model, r in totals.iterrows()
        )
        + "."
    )
    return Section(text, [fig], queries=["llm_quality"])


def _churn(q: Queries) -> Section:
    evaluation = q("churn_evaluation").set_index("split")
    drivers = q("churn_drivers")
    calibration = q("churn_calibration")
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.6, 0.4],
        subplot_titles=(
            "SHAP importance on the held-out users (log-odds)",
            "calibration on the held-out users",
        ),
    )
    kinds = {"behaviour": PALETTE[0], "attribute": PALETTE[1], "control": "#9ca3af"}
    for kind, part in drivers.groupby("feature_kind", sort=False):
        fig.add_trace(
            go.Bar(
                x=part.importance,
                y=part.feature,
                orientation="h",
                name=str(kind),
                marker={"color": kinds.get(str(kind), PALETTE[2])},
            ),
            row=1,
            col=1,
        )
    fig.update_yaxes(categoryorder="array", categoryarray=list(drivers.feature[::-1]), row=1, col=1)
    fig.add_trace(
        go.Scatter(
            x=calibration.mean_predicted,
            y=calibration.churned_share,
            mode="lines+markers",
            name="held-out deciles",
            line={"color": PALETTE[3]},
        ),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="perfect",
            line={"dash": "dot", "color": "#6b7280"},
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(title="predicted", tickformat=".0%", row=1, col=2)
    fig.update_yaxes(title="churned", tickformat=".0%", row=1, col=2)
    _layout(fig, "What predicts churn, and how well", max(420, 24 * len(drivers) + 120))
    test = evaluation.loc["test"] if "test" in evaluation.index else None
    if test is None:
        raise NoRows("churn_evaluation")
    top = drivers[drivers.feature_kind != "control"].head(3)
    controls = drivers[drivers.feature_kind == "control"]
    text = (
        f"A gradient-boosting model predicts from a user's first weeks whether they churn "
        f"(no activity in the weeks that follow). On {_num(test.users)} later signups it "
        f"never saw ({_pct(test.churned_share)} churned) its AUC is {test.auc:.3f}, Brier "
        f"score {test.brier_score:.3f}, and its deciles are off by {_pct(test.calibration_error)} "
        "on average. The strongest drivers are "
        + ", ".join(
            f"{r.feature} (riskier when {r.riskier_when})" if r.riskier_when else r.feature
            for r in top.itertuples()
        )
        + f". Two random controls rank {', '.join(str(r) for r in controls.importance_rank)} "
        f"of {len(drivers)}: a feature below them is noise to the model."
    )
    return Section(text, [fig], queries=["churn_evaluation", "churn_drivers", "churn_calibration"])


FORECAST_TITLES = {
    "dau": "DAU",
    "new_users": "new users per day",
    "mrr": "MRR by month",
    "paying_customers": "paying customers by month",
}


def _forecasts(q: Queries) -> Section:
    rows = q("forecasts")
    accuracy = q("forecast_accuracy", may_be_empty=True).set_index("metric")
    metrics = [m for m in FORECAST_TITLES if m in set(rows.metric[rows.forecast.notna()])]
    if not metrics:
        raise NoRows("forecasts")
    fig = make_subplots(
        rows=len(metrics),
        cols=1,
        subplot_titles=[FORECAST_TITLES[m] for m in metrics],
        vertical_spacing=0.08,
    )
    for i, metric in enumerate(metrics, 1):
        part = rows[rows.metric == metric]
        seen, ahead = part[part.actual.notna()], part[part.forecast.notna()]
        fig.add_trace(
            go.Scatter(
                x=list(ahead.period_start) + list(ahead.period_start[::-1]),
                y=list(ahead.upper) + list(ahead.lower[::-1]),
                fill="toself",
                fillcolor="rgba(37,99,235,0.15)",
                line={"width": 0},
                name="95% interval",
                showlegend=i == 1,
                hoverinfo="skip",
            ),
            row=i,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=seen.period_start,
                y=seen.actual,
                name="actual",
                line={"color": "#111827", "width": 1},
                showlegend=i == 1,
            ),
            row=i,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=ahead.period_start,
                y=ahead.forecast,
                name="forecast",
                line={"color": PALETTE[0], "width": 1.5},
                showlegend=i == 1,
            ),
            row=i,
            col=1,
        )
    _layout(fig, "Forecasts with their 95% intervals", 260 * len(metrics) + 80)
    backtests = "; ".join(
        f"{FORECAST_TITLES[m]} {_pct(r.interval_coverage)} of {r.periods} periods inside "
        f"the interval, {_pct(r.mean_absolute_percentage_error)} mean error"
        for m, r in accuracy.iterrows()
        if m in FORECAST_TITLES
    )
    text = (
        "A regression on the log of each series (trend, yearly season, weekdays, AR(1) "
        "errors) forecasts the headline metrics with 95% intervals."
        + (f" Made one horizon earlier and set beside what came: {backtests}." if backtests else "")
    )
    return Section(text, [fig], queries=["forecasts", "forecast_accuracy"])


def _data_quality(q: Queries) -> Section:
    d = q("data_quality")
    labels = [f"{r.fault} ({r.table_name})" for r in d.itertuples()]
    fig = go.Figure()
    for i, (column, name) in enumerate([("planted", "planted (truth)"), ("flagged", "flagged")]):
        fig.add_trace(
            go.Bar(y=labels, x=d[column], name=name, orientation="h", marker_color=PALETTE[i])
        )
    fig.update_xaxes(type="log", title="rows (log scale)")
    _layout(fig, "Planted faults and the rows staging's rules flag", max(360, 36 * len(d) + 120))
    fig.update_layout(barmode="group", margin={"l": 260})
    d["exact"] = (d.flagged == d.planted) & (d.leaked.fillna(0) == 0)
    rows = "".join(
        f'<tr class="{"ok" if r.exact else "miss"}">'
        f"<td>{html.escape(r.fault)}</td><td>{html.escape(r.table_name)}</td>"
        f"<td>{r.planted:,}</td><td>{r.flagged:,}</td>"
        f"<td>{'–' if pd.isna(r.leaked) else format(int(r.leaked), ',')}</td>"
        f"<td>{html.escape(r.handling)}</td></tr>"
        for r in d.itertuples()
    )
    table = (
        '<table class="checks"><thead><tr><th>fault</th><th>raw table</th><th>planted</th>'
        "<th>flagged</th><th>leaked</th><th>what staging does</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    exact = int(d.exact.sum())
    text = (
        "The pipelines deliver the data with faults, as real ones do: retries received "
        "twice, late uploads, device clocks that are off, staff and scripted accounts, empty "
        "attributes, events ahead of their user's row, values out of range and a renamed "
        "event. The simulator labels each faulty row in truth.faults; staging flags them by "
        "documented rules (fct_data_quality) and removes or repairs them. "
        f"{exact} of {len(d)} fault classes are flagged exactly and leak nothing into the "
        "marts. An empty attribute cannot be repaired: it stays unknown."
    )
    return Section(text, [fig], [table], ["data_quality"], tables_after_charts=True)


PATH_EDGES_PER_STEP = 8  # the busiest edges of each step; the rest would be unreadable


def _paths(q: Queries) -> Section:
    d = q("paths")
    d = d.groupby("step", group_keys=False).head(PATH_EDGES_PER_STEP)
    labels: list[str] = []
    index: dict[tuple[int, str], int] = {}

    def node(step: int, name: str) -> int:
        key = (step, name)
        if key not in index:
            index[key] = len(labels)
            labels.append(name)
        return index[key]

    source = [node(int(r.step) - 1, r.from_event) for r in d.itertuples()]
    target = [node(int(r.step), r.to_event) for r in d.itertuples()]
    fig = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 12, "thickness": 14, "color": PALETTE[0]},
            link={"source": source, "target": target, "value": d.users.tolist()},
        )
    )
    anchor = labels[0] if labels else ""
    _layout(fig, f"Paths after '{anchor}': the next events in the same session", 520)
    users = int(d.anchor_users.max())
    ended = d[(d.step == 1) & (d.to_event == "(end)")].users.sum()
    text = (
        f"Where users go after opening a session ('{anchor}'), step by step, from the "
        f"first session of each of {users:,} users (fct_paths, the busiest "
        f"{PATH_EDGES_PER_STEP} edges of each step). {_pct(ended / users)} end the session "
        "right there. fct_paths holds the same for every event, and the paths leading to it."
    )
    return Section(text, [fig], [], ["paths"])


AREAS = [
    "Signups",
    "KPI anomalies",
    "Retention",
    "Funnels",
    "Experiments",
    "Marketing",
    "Adoption",
    "LLM quality",
]


def _planted_vs_measured(q: Queries) -> tuple[Section, int, int]:
    c = q("planted_vs_measured")
    c["area_order"] = [AREAS.index(a) if a in AREAS else len(AREAS) for a in c.area]
    c = c.sort_values(["area_order", "quantity"], kind="stable").reset_index(drop=True)
    labels = [f"{a} · {x}" for a, x in zip(c.area, c.quantity, strict=True)]
    fig = go.Figure()
    fig.add_vrect(x0=-4, x1=4, fillcolor="rgba(22,163,74,0.10)", line_width=0)
    for i, (area, part) in enumerate(c.groupby("area_order", sort=True)):
        area = part.area.iloc[0]
        fig.add_trace(
            go.Scatter(
                x=part.z,
                y=[labels[j] for j in part.index],
                mode="markers",
                name=str(area),
                marker={"size": 9, "color": PALETTE[i % len(PALETTE)]},
                hovertemplate="%{y}<br>%{x:.2f} standard errors<extra></extra>",
            )
        )
    fig.add_vline(x=0, line={"color": "#6b7280", "width": 1})
    fig.update_xaxes(
        title="measured − planted, in standard errors (band: ± 4)",
        range=[min(-5.0, float(c.z.min()) - 0.5), max(5.0, float(c.z.max()) + 0.5)],
    )
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels[::-1])
    _layout(
        fig, "Planted vs measured: every deviation in standard errors", max(420, 22 * len(c) + 160)
    )
    fig.update_layout(margin={"l": 420})

    def verdict(r) -> tuple[str, str]:
        if pd.isna(r.is_within):  # nothing measured: this world cannot judge it
            return "na", "cannot judge"
        return ("ok", "yes") if r.is_within else ("miss", "NO")

    rows = "".join(
        f'<tr class="{verdict(r)[0]}"><td>{html.escape(r.area)}</td>'
        f"<td>{html.escape(r.quantity)}</td><td>{_fmt(r.planted)}</td>"
        f"<td>{_fmt(r.measured)}</td><td>± {_fmt(r.tolerance)}</td>"
        f"<td>{'–' if pd.isna(r.z) else format(r.z, '+.2f')}</td><td>{verdict(r)[1]}</td></tr>"
        for r in c.itertuples()
    )
    table = (
        '<table class="checks"><thead><tr><th>area</th><th>quantity</th><th>planted</th>'
        "<th>measured</th><th>tolerance (4 SE)</th><th>z</th><th>within</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    judged = c[c.is_within.notna()]
    within = int(judged.is_within.astype(bool).sum())
    text = (
        "The simulator writes its answer key (schema truth) beside the data. Each row sets a "
        "planted quantity beside what the marts measure, with a tolerance of four standard "
        "errors of the sampling noise (from the sample sizes, never tuned), the same "
        f"comparisons the recovery tests make. {within} of {len(judged)} lie within it."
    )
    if len(judged) < len(c):
        text += f" {len(c) - len(judged)} cannot be judged on this world: nothing was measured."

    section = Section(
        text,
        [fig],
        [table],
        ["planted_vs_measured"],
        tables_after_charts=True,
        key="planted",
        title="Planted vs measured",
    )
    return section, len(judged), within


def _fmt(x: float) -> str:
    if pd.isna(x):
        return "–"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.3f}"
    return f"{x:.4f}"


# key, title, what a world without it lacks, and the function drawing it
SECTIONS: list[tuple[str, str, str, Callable[[Queries], Section]]] = [
    ("kpis", "Key numbers", "activity", _kpi_tiles),
    ("activity", "Activity and anomalies", "activity", _activity),
    ("retention", "Retention", "activity", _retention),
    ("funnels", "Funnels", "funnels", _funnels),
    ("lifecycle", "Lifecycle", "activity", _lifecycle),
    ("revenue", "Revenue", "subscriptions", _revenue),
    ("experiments", "Experiments", "experiments", _experiments),
    ("churn", "Churn model", "users whose churn window has passed", _churn),
    ("forecasts", "Forecasts", "history long enough to forecast", _forecasts),
    ("attribution", "Marketing attribution", "marketing", _attribution),
    ("adoption", "Feature adoption", "feature launches", _adoption),
    ("llm", "LLM answer quality", "LLM answers", _llm),
    ("quality", "Data quality", "planted faults", _data_quality),
    ("paths", "Paths", "sessions", _paths),
]


def _draw(key: str, title: str, lacking: str, make: Callable[[Queries], Section], q) -> Section:
    """A section, or a note that this world has nothing for it."""
    try:
        section = make(q)
    except NoRows as empty:
        section = Section(
            f"Nothing to show: this world has no {lacking} (reports/{empty.name}.sql "
            "returned no rows)."
        )
    section.key, section.title = key, title
    return section


def draw_section(
    con: duckdb.DuckDBPyConnection, key: str, sql_dir: str | Path = DEFAULT_SQL_DIR
) -> tuple[Section, dict[str, str]]:
    """One section of the report (a key of SECTIONS, or "planted") over an open connection,
    with the text of the queries it ran: the dashboard shows the same sections."""
    q = Queries(con, Path(sql_dir))
    if key == "planted":
        section = _draw(
            key, "Planted vs measured", "truth", lambda q: _planted_vs_measured(q)[0], q
        )
    else:
        found = [entry for entry in SECTIONS if entry[0] == key]
        if not found:
            raise ReportError(f"{key}: no such report section")
        section = _draw(*found[0], q)
    return section, q.text


# --- page -----------------------------------------------------------------------------

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0; color: #111827; background: #f9fafb; }
header { background: #111827; color: #f9fafb; padding: 20px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 24px; }
header p { margin: 0; color: #d1d5db; }
nav { padding: 10px 32px; background: #e5e7eb; position: sticky; top: 0; z-index: 10; }
nav a { margin-right: 16px; color: #1f2937; text-decoration: none; font-size: 14px; }
main { max-width: 1200px; margin: 0 auto; padding: 8px 32px 48px 32px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; margin: 24px 0;
          padding: 8px 24px 16px 24px; }
section p { line-height: 1.55; max-width: 900px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
         gap: 12px; margin: 12px 0; }
.tile { border: 1px solid #e5e7eb; border-radius: 6px; padding: 10px 14px; }
.tile-label { font-size: 12px; color: #6b7280; text-transform: uppercase; }
.tile-value { font-size: 26px; font-weight: 600; margin: 4px 0; }
.tile-note { font-size: 12px; color: #6b7280; }
details { margin: 8px 0; }
summary { cursor: pointer; color: #2563eb; font-size: 13px; }
pre { background: #f3f4f6; padding: 12px; overflow-x: auto; font-size: 12px; }
table.checks { border-collapse: collapse; font-size: 13px; width: 100%; }
table.checks th, table.checks td { border-bottom: 1px solid #e5e7eb; padding: 4px 8px;
                                   text-align: right; }
table.checks th:nth-child(-n+2), table.checks td:nth-child(-n+2) { text-align: left; }
tr.miss { background: #fee2e2; }
tr.na { color: #6b7280; }
.chart { margin: 8px 0; }
"""


def _render(sections: list[Section], queries: Queries, db: Path) -> tuple[str, int]:
    charts = 0
    body = []
    for s in sections:
        parts = [
            f'<section id="{s.key}"><h2>{html.escape(s.title)}</h2>',
            f"<p>{html.escape(s.text)}</p>",
        ]
        blocks = []
        for fig in s.figures:
            charts += 1
            blocks.append(
                '<div class="chart">'
                + fig.to_html(
                    full_html=False,
                    include_plotlyjs=False,
                    div_id=f"chart-{charts}",
                    config={"displaylogo": False, "responsive": True},
                )
                + "</div>"
            )
        parts.extend(blocks + s.html_blocks if s.tables_after_charts else s.html_blocks + blocks)
        for name in s.queries:
            parts.append(
                f"<details><summary>SQL: reports/{name}.sql</summary>"
                f"<pre><code>{html.escape(queries.text[name])}</code></pre></details>"
            )
        parts.append("</section>")
        body.append("".join(parts))
    nav = "".join(f'<a href="#{s.key}">{html.escape(s.title)}</a>' for s in sections)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{REPORT_MARK}"
        f"<style>{CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        "<header><h1>Proving Ground: the product report</h1>"
        f"<p>Charts over the marts of {html.escape(db.name)}, each with the SQL behind it, "
        "and what the simulator planted beside what the marts recovered.</p></header>"
        f"<nav>{nav}</nav><main>{''.join(body)}</main></body></html>\n"
    )
    return page, charts


def _check_out(out: Path) -> None:
    """The report replaces only a report: a missing file or one this module wrote."""
    if out.is_symlink() or (out.exists() and not out.is_file()):
        raise ReportError(f"{out}: not a file; give the path of an .html file")
    if out.exists():
        with out.open("rb") as f:
            head = f.read(4096)
        if REPORT_MARK.encode() not in head:
            raise ReportError(f"{out}: exists and is not a report; choose another --out")


def build_report(
    db: str | Path, out: str | Path, sql_dir: str | Path = DEFAULT_SQL_DIR
) -> ReportSummary:
    """Query the warehouse at `db` and write the report to `out` (atomically)."""
    db, out, sql_dir = Path(db), Path(out), Path(sql_dir)
    if not sql_dir.is_dir():
        raise ReportError(f"{sql_dir}: no such folder of report queries")
    _check_out(out)
    try:
        con = open_read_only(db)
    except OutputError as exc:
        raise ReportError(str(exc)) from None
    try:
        con.execute("set enable_progress_bar = false")
        marts = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone()
        if not marts or marts[0] == 0:
            raise ReportError(f"{db}: no marts yet (run dbt build, or make build)")
        queries = Queries(con, sql_dir)
        sections = [_draw(*entry, queries) for entry in SECTIONS]
        planted, checks, within = _planted_vs_measured(queries)
        sections.append(planted)
    finally:
        con.close()
    page, charts = _render(sections, queries, db)
    try:
        write_atomically(out, lambda path: path.write_text(page, encoding="utf-8"))
    except OutputError as exc:
        raise ReportError(str(exc)) from None
    return ReportSummary(out, len(sections), charts, checks, within)
