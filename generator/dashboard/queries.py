"""The SQL behind the dashboard's explorers, written out with its parameters filled so the
page can show exactly what ran. Every query reads the marts (and the intermediate user-day
activity the marts are built on), never the raw tables. Names that become identifiers are
checked against the warehouse's own lists before they get here; literals are quoted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2

ROOT = Path(__file__).resolve().parents[2]
FUNNEL_MACROS = ROOT / "macros" / "funnels" / "funnel.sql"
PERIOD_DAYS = {"day": 1, "week": 7, "month": 30}
COHORT_GRAINS = ("week", "month")
MAX_DAY_PERIODS = 30  # the day-grain horizon, as the retention_max_days var sets for the mart


def literal(value: str | dt.date) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def group_expr(column: str | None, table: str = "users") -> str:
    """The breakdown's value as text, as the breakdown_value macro writes it."""
    if column is None:
        return "'(all)'"
    return f"coalesce(cast({table}.\"{column}\" as varchar), '(unknown)')"


def _values_filter(column: str | None, values: list[str] | None) -> str:
    if column is None or not values:
        return ""
    return f"\n    and {group_expr(column)} in ({', '.join(literal(v) for v in values)})"


# --- KPIs -------------------------------------------------------------------------------


def kpi_daily(start: dt.date, end: dt.date) -> str:
    return f"""select kpi_date, new_users, dau, wau, mau, dau_mau, sessions, events
from marts.fct_kpi_daily
where kpi_date between {literal(start)} and {literal(end)}
order by kpi_date"""


def kpi_by_group(start: dt.date, end: dt.date, column: str, values: list[str] | None = None) -> str:
    """Daily active users, sessions and events, and signups, per value of a user attribute:
    the same user-day activity fct_kpi_daily counts, split by the attribute."""
    return f"""with

users as (

    select user_id, signup_date, {group_expr(column)} as group_value
    from marts.dim_users as users
    where true{_values_filter(column, values)}

),

activity as (

    select
        activity.activity_date as kpi_date,
        users.group_value,
        count(*) as dau,
        sum(activity.sessions_started) as sessions,
        sum(activity.events) as events
    from intermediate.int_user_activity_daily as activity
    inner join users on activity.user_id = users.user_id
    where activity.activity_date between {literal(start)} and {literal(end)}
    group by activity.activity_date, users.group_value

),

signups as (

    select signup_date as kpi_date, group_value, count(*) as new_users
    from users
    where signup_date between {literal(start)} and {literal(end)}
    group by signup_date, group_value

)

select
    coalesce(activity.kpi_date, signups.kpi_date) as kpi_date,
    coalesce(activity.group_value, signups.group_value) as group_value,
    coalesce(signups.new_users, 0) as new_users,
    coalesce(activity.dau, 0) as dau,
    coalesce(activity.sessions, 0) as sessions,
    coalesce(activity.events, 0) as events
from activity
full outer join signups
    on activity.kpi_date = signups.kpi_date and activity.group_value = signups.group_value
order by kpi_date, group_value"""


def group_values(column: str) -> str:
    return f"""select {group_expr(column)} as group_value, count(*) as users
from marts.dim_users as users
group by 1
order by users desc"""


# --- retention --------------------------------------------------------------------------


def retention(cohort_grain: str, period_type: str, column: str | None = None) -> str:
    """Cohort x period cells with the semantics of fct_cohort_retention (period n of a user
    is days [nL, (n+1)L) after signup; a cell counts only users for whom it has fully
    elapsed by the as-of date; "on or after" is active in period n or any later one), for
    cohorts by signup week or month and split by a user attribute."""
    if cohort_grain not in COHORT_GRAINS or period_type not in PERIOD_DAYS:
        raise ValueError(f"cohort grain {cohort_grain!r} or period {period_type!r}")
    days = PERIOD_DAYS[period_type]
    horizon = f"\n        and periods.n <= {MAX_DAY_PERIODS}" if period_type == "day" else ""
    return f"""with

as_of as (

    select max(kpi_date) as as_of_date from marts.fct_kpi_daily

),

users as (

    select
        users.user_id,
        users.signup_date,
        cast(date_trunc('{cohort_grain}', users.signup_date) as date) as cohort,
        {group_expr(column)} as group_value,
        cast(floor((date_diff('day', users.signup_date, as_of.as_of_date) + 1) / {days}) - 1
            as integer) as matured_through
    from marts.dim_users as users
    cross join as_of
    where users.signup_date <= as_of.as_of_date

),

user_periods as (

    select distinct
        activity.user_id,
        cast(floor(date_diff('day', users.signup_date, activity.activity_date) / {days})
            as integer) as period_number
    from intermediate.int_user_activity_daily as activity
    inner join users on activity.user_id = users.user_id
    where activity.activity_date >= users.signup_date

),

last_periods as (

    select user_id, max(period_number) as last_period
    from user_periods
    group by user_id

),

cells as (

    select
        users.cohort,
        users.group_value,
        periods.n as period_number,
        users.user_id
    from users
    cross join generate_series(0, (select max(matured_through) from users)) as periods (n)
    where periods.n <= users.matured_through{horizon}

)

select
    cells.cohort,
    cells.group_value,
    cells.period_number,
    count(*) as eligible_users,
    count(user_periods.user_id) as retained_on,
    count(case when last_periods.last_period >= cells.period_number then 1 end)
        as retained_on_or_after,
    count(user_periods.user_id) / count(*) as retention_rate_on,
    count(case when last_periods.last_period >= cells.period_number then 1 end) / count(*)
        as retention_rate_on_or_after
from cells
left join user_periods
    on cells.user_id = user_periods.user_id
    and cells.period_number = user_periods.period_number
left join last_periods on cells.user_id = last_periods.user_id
group by cells.cohort, cells.group_value, cells.period_number
order by cells.cohort, cells.group_value, cells.period_number"""


# --- funnels ----------------------------------------------------------------------------


class _Namespace:
    """Looks a macro up in the rendered module when first called (the module refers to
    itself as proving_ground)."""

    def __init__(self) -> None:
        self.module: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)


class _Adapter:
    def __init__(self, namespace: _Namespace) -> None:
        self.namespace = namespace

    def dispatch(self, name: str, _package: str) -> Any:
        module = self.namespace.module
        return getattr(module, f"duckdb__{name}", None) or getattr(module, f"default__{name}")


class _Dbt:
    """The two cross-database macros the funnel uses, as dbt-duckdb writes them."""

    @staticmethod
    def dateadd(datepart: str, interval: Any, expr: str) -> str:
        return f"({expr} + to_{datepart}s({interval}))"

    @staticmethod
    def datediff(first: str, second: str, datepart: str) -> str:
        return f"date_diff('{datepart}', {first}::timestamp, {second}::timestamp)"


def _funnel_module() -> Any:
    namespace = _Namespace()
    env = jinja2.Environment(autoescape=False, extensions=["jinja2.ext.do"])
    template = env.from_string(FUNNEL_MACROS.read_text())
    namespace.module = template.make_module(
        {
            "return": lambda value: value,
            "adapter": _Adapter(namespace),
            "dbt": _Dbt(),
            "proving_ground": namespace,
            "ref": lambda name: f"marts.{name}",
        }
    )
    return namespace.module


def funnel_reached(steps: list[str], window_days: float) -> str:
    """One row per user per step reached in their best attempt: the project's funnel()
    macro itself, rendered over marts.fct_events."""
    module = _funnel_module()
    return str(module.funnel("explorer", steps, window_days)).strip()


def funnel(steps: list[str], window_days: float, column: str | None = None) -> str:
    """Users reaching each step, overall or per value of a user attribute, with conversion
    from the start and from the previous step and the median time from step 1."""
    reached = funnel_reached([s.replace("'", "''") for s in steps], window_days)
    indented = "\n".join("    " + line if line.strip() else "" for line in reached.splitlines())
    return f"""with

reached as (

{indented}

),

counted as (

    select
        {group_expr(column)} as group_value,
        reached.step_number,
        reached.event_name,
        count(*) as users_reaching,
        median(reached.seconds_from_start) as median_seconds_from_start
    from reached
    inner join marts.dim_users as users on reached.user_id = users.user_id
    group by 1, reached.step_number, reached.event_name

)

select
    group_value,
    step_number,
    event_name,
    users_reaching,
    first_value(users_reaching) over by_group as users_entering,
    users_reaching / first_value(users_reaching) over by_group as conversion_from_start,
    users_reaching / lag(users_reaching) over by_group as conversion_from_previous,
    median_seconds_from_start
from counted
window by_group as (partition by group_value order by step_number)
order by group_value, step_number"""


def funnel_events() -> str:
    return """select event_name, count(distinct user_id) as users
from marts.fct_events
where is_user_action
group by event_name
order by users desc"""


def world_funnels() -> str:
    return """select funnel_name, step_number, event_name, window_days
from staging.stg_app__funnel_steps
order by funnel_number, step_number"""


# --- segments and personas --------------------------------------------------------------


def personas() -> str:
    return "select * from marts.fct_personas order by users desc"


def personas_by_group(column: str) -> str:
    return f"""select
    personas.persona,
    {group_expr(column)} as group_value,
    count(*) as users
from marts.dim_user_personas as personas
inner join marts.dim_users as users on personas.user_id = users.user_id
group by personas.persona, 2
order by personas.persona, group_value"""


def personas_by_planted_segment() -> str:
    return """select
    personas.persona,
    planted.segment as planted_segment,
    count(*) as users
from marts.dim_user_personas as personas
inner join truth.users as planted on personas.user_id = planted.user_id
group by personas.persona, planted.segment
order by personas.persona, planted_segment"""


def segment_activity(column: str) -> str:
    return f"""select
    {group_expr(column)} as group_value,
    count(*) as users,
    avg(lifetime_sessions) as sessions_per_user,
    avg(days_active) as active_days_per_user,
    avg(case when is_retained_day_7 then 1.0 else 0.0 end) as day_7_retention,
    avg(case when is_churned then 1.0 else 0.0 end) as churned_share
from marts.dim_users as users
group by 1
order by users desc"""


# --- experiments ------------------------------------------------------------------------


def experiments() -> str:
    return """select experiment_key, max(users) as users, count(distinct variant) as variants
from marts.fct_experiment_results
group by experiment_key
order by experiment_key"""


def experiment(key: str, with_truth: bool) -> str:
    planted = (
        """
left join truth.experiment_metrics as planted
    on results.experiment_key = planted.experiment_key
    and results.variant = planted.variant
    and results.metric = planted.metric
    and planted.segment is null"""
        if with_truth
        else ""
    )
    planted_column = "planted.expected_lift" if with_truth else "cast(null as double)"
    return f"""select
    results.variant,
    results.is_control,
    results.metric,
    results.metric_type,
    results.users,
    results.planned_share,
    results.observed_share,
    results.mean,
    results.relative_lift,
    results.ci_lower,
    results.ci_upper,
    results.p_value_adjusted,
    results.cuped_relative_lift,
    results.cuped_ci_lower,
    results.cuped_ci_upper,
    results.srm_p_value,
    {planted_column} as planted_lift
from marts.fct_experiment_results as results{planted}
where results.experiment_key = {literal(key)}
order by results.metric, results.is_control desc, results.variant"""
