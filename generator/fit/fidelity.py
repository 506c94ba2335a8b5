"""How faithful is a world to the log it was fitted from? Both are read as logs and compared
side by side: the event mix and the transition matrix (total variation distance), session
length, events per session and sessions per user (two-sample Kolmogorov-Smirnov), the
weekly retention curve and daily activity (largest and mean gap), and the amounts (KS on
their logarithms). Each comparison comes with the value two samples of the same process
would reach by chance at these sizes, so a gap can be told from noise."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from scipy.stats import ks_2samp, norm

from generator.fit.chain import read_chain
from generator.fit.log import Log, LogError

FIDELITY_MARK = "<title>Proving Ground fidelity</title>"
RETENTION_WEEKS = 12
KS_ALPHA = 0.01  # the level of each "by chance" bound (Bonferroni over retention's weeks)
PALETTE = ("#2563eb", "#f97316")


@dataclass(frozen=True)
class Metric:
    name: str
    statistic: str
    value: float
    noise: float  # what two samples of one process reach by chance (about), for reading
    detail: str = ""


@dataclass
class Fidelity:
    source: str
    world: str
    metrics: list[Metric] = field(default_factory=list)
    figures: list[go.Figure] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{'comparison':<28} {'statistic':<26} {'value':>9} {'by chance':>10}"]
        for m in self.metrics:
            out.append(
                f"{m.name:<28} {m.statistic:<26} {m.value:>9.4f} {m.noise:>10.4f}  {m.detail}"
            )
        return out


def _shares(log: Log, sql: str) -> dict[str, float]:
    rows = log.con.execute(sql).fetchall()
    total = sum(n for _, n in rows) or 1
    return {log.events[int(code)]: n / total for code, n in rows}


def _tvd(a: dict[str, float], b: dict[str, float]) -> float:
    keys = set(a) | set(b)
    return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys)


def _tvd_noise(shares: dict[str, float], n1: int, n2: int) -> float:
    """Expected TVD between two multinomial samples of one distribution (normal approx.)."""
    p = np.array(list(shares.values()))
    sd = np.sqrt(p * (1 - p) * (1 / max(n1, 1) + 1 / max(n2, 1)))
    return float(0.5 * (sd * np.sqrt(2 / np.pi)).sum())


def _ks(name: str, stat: str, a: np.ndarray, b: np.ndarray) -> Metric:
    if len(a) == 0 or len(b) == 0:
        return Metric(name, stat, float("nan"), float("nan"), "nothing to compare")
    result = ks_2samp(a, b)
    n, m = len(a), len(b)
    critical = 1.628 * np.sqrt((n + m) / (n * m))  # the KS test's bound at alpha 0.01
    return Metric(
        name, stat, float(result.statistic), float(critical),
        f"log median {np.median(a):.4g}, world {np.median(b):.4g}",
    )  # fmt: skip


def _per_session(log: Log) -> dict[str, np.ndarray]:
    return log.array(
        """select count(*) as events, epoch(max(ts) - min(ts)) as seconds
        from ev group by session"""
    )


def _transitions(log: Log) -> dict[tuple[str, str], tuple[float, float]]:
    """(from, to) -> (probability, rows from `from`) of the pooled chain."""
    chain = read_chain(log, 28)
    p, n = chain.probabilities()
    names = [*log.events, "end"]
    return {
        (names[i], names[j]): (float(p[i, j]), float(n[i]))
        for i in range(p.shape[0])
        for j in range(p.shape[1])
        if p[i, j] > 0
    }


def _retention(log: Log) -> tuple[np.ndarray, np.ndarray]:
    """Share of users active in week k after signup (k = 1..RETENTION_WEEKS), among users
    whose week k lies inside the log; and how many such users."""
    rows = log.array(
        f"""with span as (select max(ts) as last from ev),
        active as (
            select distinct e.user_id,
                cast(floor(datediff('day', u.signed_up_at, e.ts) / 7) as bigint) as week
            from ev e join us u using (user_id)
        ),
        eligible as (
            select u.user_id, w.week from us u, span, range(1, {RETENTION_WEEKS + 1}) w(week)
            where u.signed_up_at + to_days(cast((w.week + 1) * 7 as integer)) <= span.last
        )
        select e.week, count(*) as n, count(a.user_id) as active
        from eligible e left join active a using (user_id, week)
        group by e.week order by e.week"""
    )
    share = np.where(rows["n"] > 0, rows["active"] / np.maximum(rows["n"], 1), np.nan)
    return share, rows["n"]


def _daily(log: Log) -> tuple[np.ndarray, np.ndarray]:
    rows = log.array(
        "select cast(ts as date) as day, count(distinct user_id) as dau from ev "
        "group by 1 order by 1"
    )
    return rows["day"], rows["dau"] / log.users


def compare(source: Log, world: Log) -> Fidelity:
    out = Fidelity(source.source, world.source)
    mix_sql = "select code, count(*) from ev group by code"
    a, b = _shares(source, mix_sql), _shares(world, mix_sql)
    out.metrics.append(
        Metric("event mix", "total variation distance", _tvd(a, b),
               _tvd_noise(a, source.rows, world.rows), f"{len(a)} events in the log")
    )  # fmt: skip
    ta, tb = _transitions(source), _transitions(world)
    rows_a: dict[str, float] = {}
    for (frm, _), (_, n) in ta.items():
        rows_a[frm] = n
    weight = sum(rows_a.values()) or 1.0
    tvd = 0.0
    for frm, n in rows_a.items():
        pa = {to: p for (f, to), (p, _) in ta.items() if f == frm}
        pb = {to: p for (f, to), (p, _) in tb.items() if f == frm}
        tvd += n / weight * _tvd(pa, pb)
    out.metrics.append(
        Metric("transition matrix", "TVD, rows weighted by use", tvd, float("nan"),
               "0 is the same chain, 1 chains with nothing in common")
    )  # fmt: skip
    sa, sb = _per_session(source), _per_session(world)
    out.metrics.append(_ks("session length", "KS statistic", sa["seconds"], sb["seconds"]))
    out.metrics.append(_ks("events per session", "KS statistic", sa["events"], sb["events"]))
    per_user = "select count(distinct session) as n from ev group by user_id"
    out.metrics.append(
        _ks("sessions per user", "KS statistic", source.array(per_user)["n"],
            world.array(per_user)["n"])
    )  # fmt: skip
    ra, na = _retention(source)
    rb, nb = _retention(world)
    k = min(len(ra), len(rb))
    gap = np.abs(ra[:k] - rb[:k])
    se = np.sqrt(ra[:k] * (1 - ra[:k]) * (1 / np.maximum(na[:k], 1) + 1 / np.maximum(nb[:k], 1)))
    out.metrics.append(
        Metric("weekly retention", "largest gap (share)", float(np.nanmax(gap)) if k else np.nan,
               float(norm.isf(KS_ALPHA / 2 / max(k, 1)) * np.nanmax(se)) if k else np.nan,
               f"weeks 1-{k}: log {ra[0]:.3f} -> {ra[k - 1]:.3f}" if k else "")
    )  # fmt: skip
    da, va = _daily(source)
    db, vb = _daily(world)
    common, ia, ib = np.intersect1d(da, db, return_indices=True)
    if len(common):
        rel = np.abs(vb[ib] - va[ia]) / np.maximum(va[ia], 1e-12)
        out.metrics.append(
            Metric("daily activity", "mean relative gap in DAU", float(rel.mean()),
                   float(np.mean(1 / np.sqrt(np.maximum(va[ia] * source.users, 1)))),
                   f"{len(common)} days; correlation {np.corrcoef(va[ia], vb[ib])[0, 1]:.3f}")
        )  # fmt: skip
    amounts = "select ln(amount) as v from ev where amount > 0"
    if source.has_amount and world.has_amount:
        out.metrics.append(
            _ks("amounts", "KS statistic on log", source.array(amounts)["v"],
                world.array(amounts)["v"])
        )  # fmt: skip
    out.figures = _figures(a, b, ra[:k], rb[:k], (da, va), (db, vb), sa, sb)
    return out


def _figures(mix_a, mix_b, ret_a, ret_b, daily_a, daily_b, sess_a, sess_b) -> list[go.Figure]:
    names = sorted(mix_a, key=lambda n: -mix_a[n])
    figs = []
    mix = go.Figure()
    mix.add_bar(name="log", x=names, y=[mix_a.get(n, 0) for n in names], marker_color=PALETTE[0])
    mix.add_bar(name="world", x=names, y=[mix_b.get(n, 0) for n in names], marker_color=PALETTE[1])
    figs.append(_layout(mix, "Event mix: share of all events"))
    ret = go.Figure()
    weeks = list(range(1, len(ret_a) + 1))
    ret.add_scatter(name="log", x=weeks, y=ret_a, line_color=PALETTE[0])
    ret.add_scatter(name="world", x=weeks, y=ret_b, line_color=PALETTE[1])
    figs.append(_layout(ret, "Retention: share of users active in week k after signup"))
    daily = go.Figure()
    daily.add_scatter(name="log", x=daily_a[0], y=daily_a[1], line_color=PALETTE[0])
    daily.add_scatter(name="world", x=daily_b[0], y=daily_b[1], line_color=PALETTE[1])
    figs.append(_layout(daily, "Daily active users per user of the log or world"))
    depth = go.Figure()
    top = int(max(np.percentile(sess_a["events"], 99), 2))
    for label, s, colour in (("log", sess_a, PALETTE[0]), ("world", sess_b, PALETTE[1])):
        counts = np.bincount(np.minimum(s["events"], top), minlength=top + 1)[1:]
        depth.add_bar(name=label, x=list(range(1, top + 1)), y=counts / counts.sum(),
                      marker_color=colour)  # fmt: skip
    figs.append(_layout(depth, f"Events per session (share; {top} means {top} or more)"))
    return figs


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        height=380,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def write_page(fidelity: Fidelity, out: str) -> None:
    """The comparison as one HTML page; replaces only a page this module wrote."""
    path = Path(out)
    if path.exists():
        if not path.is_file() or FIDELITY_MARK.encode() not in path.read_bytes()[:4096]:
            raise LogError(f"{out}: exists and is not a fidelity page (left as it was)")
    rows = "".join(
        f"<tr><td>{html.escape(m.name)}</td><td>{html.escape(m.statistic)}</td>"
        f"<td>{m.value:.4f}</td><td>{m.noise:.4f}</td><td>{html.escape(m.detail)}</td></tr>"
        for m in fidelity.metrics
    )
    charts = "".join(
        f'<div class="chart">{f.to_html(full_html=False, include_plotlyjs=False)}</div>'
        for f in fidelity.figures
    )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"{FIDELITY_MARK}<style>body{{font-family:sans-serif;margin:24px;color:#111827}}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #e5e7eb;"
        "padding:4px 10px;text-align:left}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f"<h1>Fidelity: {html.escape(fidelity.world)} against {html.escape(fidelity.source)}"
        "</h1><p>The fitted world beside the log it was fitted from. 'By chance' is about "
        "what two samples of one process reach at these sizes (for a KS statistic, its "
        "bound at the 1% level).</p>"
        "<table><tr><th>comparison</th><th>statistic</th><th>value</th><th>by chance</th>"
        f"<th></th></tr>{rows}</table>{charts}</body></html>\n"
    )
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
