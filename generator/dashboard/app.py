"""The dashboard's pages (a Streamlit script: `python -m generator dashboard` serves it).

Each page reads the marts through short read-only connections, shows the SQL it ran, and
says so when the world lacks what the page is about."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from generator import report
from generator.dashboard import PAGES
from generator.dashboard import queries as q
from generator.dashboard.warehouse import Warehouse, WarehouseError, breakdowns
from generator.outputs import OutputError, open_read_only

NONE = "(none)"
# the last line of every page, with the charts it drew: the browser test waits for it
RENDERED = "Page rendered in"
CHARTS = "charts_drawn"
RUNS = "pages_rendered"
TEMPLATE = "plotly_white"


def _warehouse() -> Warehouse:
    parser = argparse.ArgumentParser(prog="dashboard")
    parser.add_argument("--db", default="warehouse.duckdb")
    args, _ = parser.parse_known_args(sys.argv[1:])
    return Warehouse(Path(args.db).resolve())


WH = _warehouse()


@st.cache_data(show_spinner=False, max_entries=256)
def _cached(path: str, stamp: tuple[int, int], sql: str) -> pd.DataFrame:
    return Warehouse(Path(path)).query(sql)


def run(sql: str) -> pd.DataFrame:
    return _cached(str(WH.path), WH.stamp(), sql)


@st.cache_data(show_spinner=False)
def _tables(path: str, stamp: tuple[int, int]) -> set[str]:
    return Warehouse(Path(path)).tables()


def has(table: str) -> bool:
    return table in _tables(str(WH.path), WH.stamp())


@st.cache_data(show_spinner=False)
def _breakdowns(path: str, stamp: tuple[int, int]) -> list[str]:
    return breakdowns(Warehouse(Path(path)))


def breakdown_choice(where, label: str = "Breakdown") -> str | None:
    choice = where.selectbox(label, [NONE, *_breakdowns(str(WH.path), WH.stamp())])
    return None if choice == NONE else choice


def show_sql(*sqls: str) -> None:
    with st.expander("SQL", expanded=False):
        for sql in sqls:
            st.code(sql, language="sql")


def chart(fig: go.Figure, height: int | None = 380) -> None:
    if height is not None:
        fig.update_layout(template=TEMPLATE, height=height, margin={"l": 40, "r": 20, "t": 50})
    st.plotly_chart(fig, width="stretch")
    st.session_state[CHARTS] = st.session_state.get(CHARTS, 0) + 1


def lacking(what: str, table: str) -> None:
    st.info(f"This world has no {what}: {table} has no rows.")


# --- pages ------------------------------------------------------------------------------


def kpis() -> None:
    st.title("KPIs")
    bounds = run(
        "select min(kpi_date) as first_day, max(kpi_date) as last_day from marts.fct_kpi_daily"
    ).iloc[0]
    if pd.isna(bounds.first_day):
        lacking("activity", "marts.fct_kpi_daily")
        return
    first, last = bounds.first_day.date(), bounds.last_day.date()
    left, middle, right = st.columns([2, 1, 2])
    picked = left.date_input(
        "Dates", (max(first, last - dt.timedelta(days=364)), last), first, last
    )
    chosen_days = [d for d in (picked if isinstance(picked, tuple) else (picked,)) if d]
    start, end = (min(chosen_days), max(chosen_days)) if chosen_days else (first, last)
    column = breakdown_choice(middle)
    if column is None:
        sql = q.kpi_daily(start, end)
        df = run(sql)
        cells = st.columns(6)
        cells[0].metric("New users", f"{df.new_users.sum():,.0f}")
        cells[1].metric("Mean DAU", f"{df.dau.mean():,.0f}")
        cells[2].metric("WAU, last day", f"{df.wau.iloc[-1]:,.0f}")
        cells[3].metric("MAU, last day", f"{df.mau.iloc[-1]:,.0f}")
        cells[4].metric("DAU / MAU, mean", f"{df.dau_mau.mean():.1%}")
        cells[5].metric("Sessions", f"{df.sessions.sum():,.0f}")
        chart(px.line(df, x="kpi_date", y=["dau", "wau", "mau"], title="Active users"))
        chart(px.bar(df, x="kpi_date", y="new_users", title="New users per day"), 300)
        show_sql(sql)
        return
    values = run(q.group_values(column)).group_value.tolist()
    chosen = right.multiselect(f"{column} values", values, default=values[:8])
    sql = q.kpi_by_group(start, end, column, chosen or None)
    df = run(sql)
    if df.empty:
        st.info("No activity in these dates for these values.")
        show_sql(sql)
        return
    summary = (
        df.groupby("group_value")
        .agg(
            new_users=("new_users", "sum"),
            mean_dau=("dau", "mean"),
            sessions=("sessions", "sum"),
            events=("events", "sum"),
        )
        .sort_values("mean_dau", ascending=False)
    )
    st.dataframe(summary, width="stretch")
    chart(px.line(df, x="kpi_date", y="dau", color="group_value", title=f"DAU by {column}"))
    weekly = df.assign(week=pd.to_datetime(df.kpi_date).dt.to_period("W").dt.start_time)
    weekly = weekly.groupby(["week", "group_value"], as_index=False).new_users.sum()
    chart(
        px.bar(weekly, x="week", y="new_users", color="group_value", title="New users per week"),
        300,
    )
    show_sql(sql)


def retention() -> None:
    st.title("Retention")
    cols = st.columns(4)
    grain = cols[0].selectbox("Cohort by signup", list(q.COHORT_GRAINS)[::-1])
    period = cols[1].selectbox("Period", ["week", "day", "month"])
    mode = cols[2].radio("Retained", ["on", "on or after"], horizontal=True)
    column = breakdown_choice(cols[3])
    sql = q.retention(grain, period, column)
    df = run(sql)
    if df.empty:
        lacking("matured cohorts", "marts.dim_users")
        show_sql(sql)
        return
    rate = "retention_rate_on" if mode == "on" else "retention_rate_on_or_after"
    retained = "retained_on" if mode == "on" else "retained_on_or_after"
    curve = df.groupby(["group_value", "period_number"], as_index=False)[
        ["eligible_users", retained]
    ].sum()
    curve["retention"] = curve[retained] / curve.eligible_users
    title = f"Share of users active {mode} {period} n after signup"
    chart(
        px.line(curve, x="period_number", y="retention", color="group_value", title=title)
        .update_yaxes(tickformat=".0%")
        .update_xaxes(title=f"{period}s after signup")
    )
    if column is None:
        grid = df.pivot(index="cohort", columns="period_number", values=rate).sort_index()
        fig = go.Figure(
            go.Heatmap(
                z=grid.to_numpy(),
                x=list(grid.columns),
                y=[f"{d:%Y-%m-%d}" for d in grid.index],
                colorscale="Blues",
                zmin=0,
                zmax=1,
                colorbar={"tickformat": ".0%"},
            )
        )
        fig.update_layout(title=f"Retention by {grain} cohort", yaxis={"type": "category"})
        chart(fig, max(380, 14 * len(grid) + 120))
    show_sql(sql)


def funnels() -> None:
    st.title("Funnel explorer")
    events = run(q.funnel_events())
    if events.empty:
        lacking("user actions", "marts.fct_events")
        return
    planned = run(q.world_funnels()) if has("staging.stg_app__funnel_steps") else pd.DataFrame()
    names = list(dict.fromkeys(planned.funnel_name)) if not planned.empty else []
    cols = st.columns([2, 1, 1])
    preset = cols[0].selectbox("Start from", [*names, "(your own steps)"])
    spec = planned[planned.funnel_name == preset] if preset in names else planned.iloc[:0]
    default_steps = [s for s in spec.event_name if s in set(events.event_name)]
    window = cols[1].number_input(
        "Conversion window (days)",
        min_value=1,
        max_value=365,
        value=int(spec.window_days.iloc[0]) if len(spec) else 14,
    )
    column = breakdown_choice(cols[2])
    steps = st.multiselect(
        "Steps, in order", events.event_name.tolist(), default=default_steps, key=preset
    )
    if len(steps) < 2:
        st.info("Choose two or more events, in the order a user should fire them.")
        return
    sql = q.funnel(steps, window, column)
    df = run(sql)
    if df.empty:
        st.info("No user fired the first step.")
        show_sql(sql)
        return
    df["step"] = df.step_number.astype(str) + ". " + df.event_name
    fig = px.bar(
        df, x="step", y="users_reaching", color="group_value", barmode="group", title="Users"
    )
    chart(fig)
    st.dataframe(
        df[
            [
                "group_value",
                "step",
                "users_reaching",
                "conversion_from_start",
                "conversion_from_previous",
                "median_seconds_from_start",
            ]
        ],
        width="stretch",
        hide_index=True,
    )
    show_sql(sql)


def experiments() -> None:
    st.title("Experiments")
    if not has("marts.fct_experiment_results"):
        lacking("experiments", "marts.fct_experiment_results")
        return
    listed = run(q.experiments())
    if listed.empty:
        lacking("experiments", "marts.fct_experiment_results")
        return
    key = st.selectbox("Experiment", listed.experiment_key.tolist())
    with_truth = has("truth.experiment_metrics")
    sql = q.experiment(key, with_truth)
    df = run(sql)
    srm = df.srm_p_value.dropna()
    cells = st.columns(3)
    cells[0].metric("Users", f"{df[df.is_control].users.max():,.0f} in control")
    cells[1].metric("Variants", f"{df.variant.nunique()}")
    if len(srm):
        cells[2].metric("SRM p-value", f"{srm.min():.3g}")
        if srm.min() < 0.001:
            st.warning("Sample ratio mismatch: the split is not what was planned; distrust lifts.")
    lifts = df[~df.is_control & df.relative_lift.notna()].copy()
    if lifts.empty:
        st.info("No treatment variant has a measured lift yet.")
        show_sql(sql)
        return
    lifts["label"] = lifts.metric + " · " + lifts.variant
    fig = go.Figure()
    for prefix, name, symbol in (("", "lift", "circle"), ("cuped_", "CUPED lift", "diamond")):
        lift, lower, upper = (
            lifts[f"{prefix}{c}"] for c in ("relative_lift", "ci_lower", "ci_upper")
        )
        if lift.notna().any():
            fig.add_trace(
                go.Scatter(
                    x=lift,
                    y=lifts.label,
                    mode="markers",
                    name=f"{name} (95% CI)",
                    marker={"symbol": symbol},
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": upper - lift,
                        "arrayminus": lift - lower,
                    },
                )
            )
    if lifts.planted_lift.notna().any():
        fig.add_trace(
            go.Scatter(
                x=lifts.planted_lift,
                y=lifts.label,
                mode="markers",
                name="planted (truth)",
                marker={"symbol": "x", "size": 11, "color": "#dc2626"},
            )
        )
    fig.add_vline(x=0, line={"color": "#6b7280", "width": 1})
    fig.update_xaxes(tickformat=".0%", title="relative lift")
    fig.update_layout(title=f"{key}: every metric's lift")
    chart(fig, max(380, 40 * len(lifts) + 140))
    if not with_truth:
        st.caption("No truth schema in this warehouse: the planted lifts are not shown.")
    st.dataframe(df.drop(columns=["is_control"]), width="stretch", hide_index=True)
    show_sql(sql)


def segments() -> None:
    st.title("Segments and personas")
    column = breakdown_choice(st, "Segment users by")
    if column is not None:
        sql = q.segment_activity(column)
        df = run(sql)
        st.dataframe(df, width="stretch", hide_index=True)
        chart(
            px.bar(df, x="group_value", y="day_7_retention", title=f"Day-7 retention by {column}")
            .update_yaxes(tickformat=".0%")
            .update_xaxes(title=column),
            320,
        )
        show_sql(sql)
    st.subheader("Personas found in behaviour")
    if (
        not has("marts.fct_personas")
        or run("select count(*) as n from marts.fct_personas").n[0] == 0
    ):
        lacking("personas", "marts.fct_personas")
        return
    sql = q.personas()
    df = run(sql)
    st.dataframe(df, width="stretch", hide_index=True)
    traits = df.melt(
        id_vars="persona",
        value_vars=["events_per_session", "sessions_per_user_month", "active_days_per_user"],
    )
    chart(
        px.bar(
            traits,
            x="persona",
            y="value",
            color="persona",
            facet_col="variable",
            title="What sets the personas apart",
        ).update_yaxes(matches=None, showticklabels=True),
        340,
    )
    sqls = [sql]
    if column is not None:
        cross_sql = q.personas_by_group(column)
        cross = run(cross_sql)
        grid = cross.pivot(index="persona", columns="group_value", values="users").fillna(0)
        chart(
            px.imshow(
                grid.div(grid.sum(axis=1), axis=0),
                text_auto=".0%",
                color_continuous_scale="Blues",
                title=f"Each persona's users by {column}",
            ),
            320,
        )
        sqls.append(cross_sql)
    if has("truth.users"):
        planted_sql = q.personas_by_planted_segment()
        try:
            planted = run(planted_sql)
        except WarehouseError:
            planted = pd.DataFrame()
        if not planted.empty:
            grid = planted.pivot(index="persona", columns="planted_segment", values="users")
            chart(
                px.imshow(
                    grid.fillna(0).div(grid.fillna(0).sum(axis=1), axis=0),
                    text_auto=".0%",
                    color_continuous_scale="Greens",
                    title="Each persona's users by the segment the simulator planted (truth)",
                ),
                320,
            )
            sqls.append(planted_sql)
    show_sql(*sqls)


@st.cache_data(show_spinner=False)
def _section(path: str, stamp: tuple[int, int], key: str):
    try:
        con = open_read_only(path)
    except OutputError as exc:
        raise WarehouseError(str(exc)) from None
    try:
        section, texts = report.draw_section(con, key, q.ROOT / report.DEFAULT_SQL_DIR)
    except report.ReportError as exc:
        raise WarehouseError(str(exc)) from None
    finally:
        con.close()
    return section, {name: texts[name] for name in section.queries}


def report_page(key: str, title: str) -> Callable[[], None]:
    def page() -> None:
        st.title(title)
        section, texts = _section(str(WH.path), WH.stamp(), key)
        if section.figures:
            st.write(section.text)
        if not section.figures:
            st.info(section.text)
        for fig in section.figures:
            chart(fig, None)
        for block in section.html_blocks:
            st.html(f"<style>{report.CSS}</style>{block}")
        show_sql(*texts.values())

    page.__name__ = key
    return page


DRAWN: dict[str, Callable[[], None]] = {
    "kpis": kpis,
    "retention": retention,
    "funnels": funnels,
    "experiments": experiments,
    "segments": segments,
    "llm": report_page("llm", "LLM answer quality"),
    "planted": report_page("planted", "Planted vs measured"),
}


def guarded(page: Callable[[], None]) -> Callable[[], None]:
    """A page that shows a warehouse it cannot read as one line, here and in the terminal."""

    def run_page() -> None:
        started = time.perf_counter()
        st.session_state[CHARTS] = 0
        try:
            WH.check()
            page()
        except WarehouseError as exc:
            print(f"dashboard: {exc}", file=sys.stderr, flush=True)
            st.error(str(exc))
        seconds = time.perf_counter() - started
        st.session_state[RUNS] = st.session_state.get(RUNS, 0) + 1
        st.caption(
            f"{RENDERED} {seconds:.2f} s with {st.session_state[CHARTS]} charts "
            f"(run {st.session_state[RUNS]})"
        )

    run_page.__name__ = page.__name__
    return run_page


def main() -> None:
    st.set_page_config(page_title="Proving Ground", layout="wide")
    st.sidebar.caption(f"Warehouse: {WH.path}")
    navigation = st.navigation(
        [
            st.Page(guarded(DRAWN[key]), title=title, url_path=key, default=i == 0)
            for i, (key, title) in enumerate(PAGES)
        ]
    )
    navigation.run()


main()
