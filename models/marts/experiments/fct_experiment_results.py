"""One row per experiment x variant x metric: each variant against the control with
GrowthBook's frequentist engine, from the sufficient statistics of
fct_experiment_statistics.

- Means: a proportion's variance is p(1 - p), any other mean's the sample variance
  (n - 1); a ratio metric's variance is the delta method's, with the covariance of its
  numerator and denominator.
- Lifts: absolute (variant mean - control mean) and relative (over the control mean,
  with the delta method's variance), a two-sided Welch t-test (Welch-Satterthwaite
  degrees of freedom) for the p-value and the confidence interval.
- CUPED: the metric adjusted by theta x the pre-exposure sessions, theta pooled over
  both arms; not for ratio metrics (as GrowthBook's engine).
- Sample-ratio mismatch: chi-square of the users per variant against the planned weights.
- Benjamini-Hochberg adjusted p-values across the metrics of each variant.

Python, because SQL has no Student t distribution; everything before it is SQL."""

import math

import pandas as pd
from scipy.stats import chi2, t


def _stat(row, prefix="metric"):
    """n, mean and variance of a mean or proportion column set."""
    n = row["users"]
    total, squares = row[f"{prefix}_sum"], row[f"{prefix}_sum_squares"]
    mean = total / n if n else 0.0
    if prefix == "metric" and row["metric_type"] == "proportion":
        variance = mean * (1 - mean)
    else:
        variance = (squares - total**2 / n) / (n - 1) if n > 1 else 0.0
    return {"n": n, "sum": total, "squares": squares, "mean": mean, "unadjusted": mean,
            "variance": variance}


def _ratio(row):
    n = row["users"]
    m, d = _stat(row, "metric"), _stat(row, "denominator")
    if d["sum"] == 0 or n <= 1:
        return {"n": n, "mean": 0.0, "unadjusted": 0.0, "variance": 0.0}
    cov = (row["metric_denominator_sum_products"] - m["sum"] * d["sum"] / n) / (n - 1)
    mm, dm = m["mean"], d["mean"]
    variance = m["variance"] / dm**2 - 2 * cov * mm / dm**3 + mm**2 * d["variance"] / dm**4
    return {"n": n, "mean": m["sum"] / d["sum"], "unadjusted": m["sum"] / d["sum"],
            "variance": variance}


def _cuped(a_row, b_row):
    """Both arms adjusted with theta pooled over them; None when theta is 0."""
    post = [_stat(a_row), _stat(b_row)]
    pre = [_stat(a_row, "covariate"), _stat(b_row, "covariate")]
    n = post[0]["n"] + post[1]["n"]
    joint_sum = post[0]["sum"] + post[1]["sum"]
    if a_row["metric_type"] == "proportion":
        p = joint_sum / n
        joint_post_var = p * (1 - p)
    else:
        joint_post_var = (post[0]["squares"] + post[1]["squares"] - joint_sum**2 / n) / (n - 1)
    pre_sum = pre[0]["sum"] + pre[1]["sum"]
    joint_pre_var = (pre[0]["squares"] + pre[1]["squares"] - pre_sum**2 / n) / (n - 1)
    if joint_pre_var == 0 or joint_post_var == 0:
        return None
    products = a_row["metric_covariate_sum_products"] + b_row["metric_covariate_sum_products"]
    theta = ((products - joint_sum * pre_sum / n) / (n - 1)) / joint_pre_var
    arms = []
    for row, po, pr in zip((a_row, b_row), post, pre):
        m = po["n"]
        cov = (row["metric_covariate_sum_products"] - po["sum"] * pr["sum"] / m) / (m - 1)
        arms.append({
            "n": m,
            "mean": po["mean"] - theta * pr["mean"],
            "unadjusted": po["mean"],
            "variance": po["variance"] + theta**2 * pr["variance"] - 2 * theta * cov,
        })
    return theta, arms[0], arms[1]


def _ttest(a, b, relative, alpha):
    """GrowthBook's two-sided Welch t-test: point, se, ci, p, dof (None if undefined)."""
    if a["mean"] == 0 or a["unadjusted"] == 0 or a["variance"] <= 0 or b["variance"] <= 0:
        return None
    if relative:
        point = (b["mean"] - a["mean"]) / a["unadjusted"]
        variance = b["variance"] / (a["unadjusted"] ** 2 * b["n"]) + a["variance"] * b[
            "unadjusted"
        ] ** 2 / (a["unadjusted"] ** 4 * a["n"])
    else:
        point = b["mean"] - a["mean"]
        variance = b["variance"] / b["n"] + a["variance"] / a["n"]
    dof = (b["variance"] / b["n"] + a["variance"] / a["n"]) ** 2 / (
        b["variance"] ** 2 / (b["n"] ** 2 * (b["n"] - 1))
        + a["variance"] ** 2 / (a["n"] ** 2 * (a["n"] - 1))
    )
    se = math.sqrt(variance)
    width = t.ppf(1 - alpha / 2, dof) * se
    p_value = 2 * (1 - t.cdf(abs(point / se), dof))
    return point, se, point - width, point + width, p_value, dof


# Columns of a test's (point, se, ci lower, ci upper, p, degrees of freedom).
ABSOLUTE = ("absolute_lift", "absolute_lift_se", "absolute_ci_lower", "absolute_ci_upper")
RELATIVE = ("relative_lift", "relative_lift_se", "ci_lower", "ci_upper", "p_value",
            "degrees_of_freedom")
CUPED = ("cuped_relative_lift", "cuped_relative_lift_se", "cuped_ci_lower", "cuped_ci_upper",
         "cuped_p_value")


def _benjamini_hochberg(p_values):
    """Adjusted p-values (step-up), None kept where there is no p-value."""
    present = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(present)
    adjusted = [None] * len(p_values)
    running = 1.0
    for rank in range(m, 0, -1):
        p, i = present[rank - 1]
        running = min(running, p * m / rank)
        adjusted[i] = running
    return adjusted


def model(dbt, session):
    dbt.config(materialized="table")
    alpha = float(dbt.config.get("alpha") or 0.05)
    stats = dbt.ref("fct_experiment_statistics").df()
    design = dbt.ref("stg_app__experiments").df()

    rows = []
    for experiment, plan in design.groupby("experiment_key", sort=True):
        plan = plan.sort_values("variant_index")
        control = plan.loc[plan["is_control"], "variant"].iloc[0]
        mine = stats[stats["experiment_key"] == experiment]
        if mine.empty:  # nobody exposed yet (it starts after the as-of date): no results
            continue
        users = mine[mine["metric"] == mine["metric"].iloc[0]].set_index("variant")["users"]
        observed = [float(users.get(v, 0)) for v in plan["variant"]]
        chi_square = sum(
            (o - w / plan["weight"].sum() * sum(observed)) ** 2
            / (w / plan["weight"].sum() * sum(observed))
            for o, w in zip(observed, plan["weight"])
            if w > 0
        )
        srm_p = float(chi2.sf(chi_square, len(observed) - 1)) if sum(observed) else 1.0
        weight = dict(zip(plan["variant"], plan["weight"]))
        for variant in plan["variant"]:
            out = []
            for _, row in mine[mine["variant"] == variant].iterrows():
                base = mine[(mine["variant"] == control) & (mine["metric"] == row["metric"])]
                stat = _ratio(row) if row["metric_type"] == "ratio" else _stat(row)
                result = {
                    "experiment_key": experiment,
                    "variant": variant,
                    "is_control": variant == control,
                    "metric": row["metric"],
                    "metric_type": row["metric_type"],
                    "users": int(row["users"]),
                    "planned_share": float(weight[variant]),
                    "observed_share": float(row["users"]) / sum(observed),
                    "mean": stat["mean"],
                    "variance": stat["variance"],
                    "srm_p_value": srm_p,
                }
                if variant != control and len(base):
                    a_row = base.iloc[0]
                    a = _ratio(a_row) if row["metric_type"] == "ratio" else _stat(a_row)
                    absolute = _ttest(a, stat, False, alpha)
                    relative = _ttest(a, stat, True, alpha)
                    adjusted = None if row["metric_type"] == "ratio" else _cuped(a_row, row)
                    cuped = None
                    if adjusted is not None:
                        cuped = _ttest(adjusted[1], adjusted[2], True, alpha)
                        result["cuped_theta"] = adjusted[0]
                    elif row["metric_type"] != "ratio":
                        cuped = relative  # no covariate variance: nothing to adjust
                    for test, names in ((absolute, ABSOLUTE), (relative, RELATIVE),
                                        (cuped, CUPED)):
                        if test is not None:
                            result.update(zip(names, test))
                out.append(result)
            for result, adjusted_p in zip(
                out, _benjamini_hochberg([r.get("p_value") for r in out])
            ):
                result["p_value_adjusted"] = adjusted_p
            rows.extend(out)

    columns = [
        "experiment_result_id", "experiment_key", "variant", "is_control", "metric",
        "metric_type", "users", "planned_share", "observed_share", "mean", "variance",
        "absolute_lift", "absolute_lift_se", "absolute_ci_lower", "absolute_ci_upper",
        "relative_lift", "relative_lift_se", "ci_lower", "ci_upper", "p_value",
        "degrees_of_freedom", "p_value_adjusted", "cuped_theta", "cuped_relative_lift",
        "cuped_relative_lift_se", "cuped_ci_lower", "cuped_ci_upper", "cuped_p_value",
        "srm_p_value",
    ]
    frame = pd.DataFrame(rows).reindex(columns=columns)
    for name in ("experiment_key", "variant", "metric", "metric_type"):
        frame[name] = frame[name].astype(str)
    frame["is_control"] = frame["is_control"].astype(bool)
    frame["users"] = frame["users"].astype("int64")
    for name in columns[7:]:
        frame[name] = frame[name].astype("float64")
    frame["experiment_result_id"] = (
        frame["experiment_key"] + "-" + frame["variant"] + "-" + frame["metric"]
    )
    return frame
