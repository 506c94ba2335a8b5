"""The churn model: gradient boosting on what a warehouse observes about a user's first
weeks (fct_churn_features), tested on the latest signups (a time-based hold-out), and
explained by SHAP.

Two control columns join the features, drawn at random from the seed: a number and a
category with no bearing on churn. A feature the model ranks below them is noise to it;
the planted drivers must rank above them (tests/python/test_churn.py).

Any world: the attribute columns are whatever fct_churn_features carries beside the fixed
activity columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SEED = 42
KEYS = ("user_id", "signup_date", "churned")
CONTROLS = ("control_random", "control_category")
MIN_TRAIN_USERS = 200  # fewer, or one outcome only: nothing to learn, the tables stay empty
MAX_EXPLAINED = 5000  # test users SHAP explains (a sample drawn from the seed beyond that)

# the gradient boosting's settings (early stopping on a fifth of the training users)
MODEL = {
    "max_iter": 400,
    "learning_rate": 0.05,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": True,
    "validation_fraction": 0.2,
    "n_iter_no_change": 25,
}

SCORE_COLUMNS = {
    "user_id": "str",
    "signup_date": "datetime64[us]",
    "split": "str",
    "churned": "bool",
    "churn_probability": "float64",
}
DRIVER_COLUMNS = {
    "feature": "str",
    "feature_kind": "str",
    "importance": "float64",
    "importance_rank": "int64",
    "riskier_when": "str",
    "explained_users": "int64",
}


@dataclass
class ChurnFit:
    scores: pd.DataFrame  # user grain: split, outcome, predicted probability
    drivers: pd.DataFrame  # feature grain: mean |SHAP| on the test users, rank, direction


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in columns.items()})


def held_out(signup_dates: pd.Series, share: float) -> np.ndarray:
    """The test users: those who signed up on or after the first date by which `share` of
    the users are left (whole days, so no day is split)."""
    days = pd.to_datetime(signup_dates).to_numpy()
    cutoff = np.quantile(days.astype("datetime64[D]").astype(np.int64), 1 - share)
    return days.astype("datetime64[D]").astype(np.int64) > np.floor(cutoff)


def with_controls(features: pd.DataFrame, seed: int = SEED) -> pd.DataFrame:
    """The features with the two random controls, drawn per user in user order."""
    out = features.sort_values("user_id", kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    out["control_random"] = rng.random(len(out))
    out["control_category"] = np.array(["a", "b", "c", "d"])[rng.integers(0, 4, len(out))]
    return out


def _design(features: pd.DataFrame) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """The model's matrix (categories one-hot), the feature each column comes from, and
    each feature's kind: attribute, behaviour or control."""
    inputs = [c for c in features.columns if c not in KEYS]
    kinds, parts, sources = {}, [], []
    for name in inputs:
        column = features[name]
        categorical = not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(
            column
        )
        kinds[name] = "control" if name in CONTROLS else "attribute" if categorical else "behaviour"
        if categorical:
            dummies = pd.get_dummies(column.astype(str), prefix=name, prefix_sep="=", dtype=float)
            parts.append(dummies)
            sources += [name] * dummies.shape[1]
        else:
            parts.append(column.astype(float).rename(name).to_frame())
            sources.append(name)
    return pd.concat(parts, axis=1), sources, kinds


def _direction(values: pd.Series, contribution: np.ndarray) -> str:
    """Where the feature pushes the churn risk up: the riskiest category, or whether
    higher or lower values raise it."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        means = pd.Series(contribution).groupby(values.astype(str).to_numpy()).mean()
        return str(means.idxmax())
    x = values.astype(float).to_numpy()
    ok = ~np.isnan(x)
    if ok.sum() < 3 or np.std(x[ok]) == 0:
        return ""
    return "higher" if np.corrcoef(x[ok], contribution[ok])[0, 1] > 0 else "lower"


def fit_churn(
    features: pd.DataFrame,
    holdout_share: float = 0.25,
    seed: int = SEED,
    explain: bool = True,
    params: dict | None = None,
) -> ChurnFit:
    """Train on the earlier signups, score everyone, explain the test users."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: PLC0415

    if len(features) < MIN_TRAIN_USERS:
        return ChurnFit(_empty(SCORE_COLUMNS), _empty(DRIVER_COLUMNS))
    data = with_controls(features, seed)
    test = held_out(data.signup_date, holdout_share)
    y = data.churned.astype(bool).to_numpy()
    train = ~test
    if train.sum() < MIN_TRAIN_USERS or test.sum() == 0 or len(np.unique(y[train])) < 2:
        return ChurnFit(_empty(SCORE_COLUMNS), _empty(DRIVER_COLUMNS))
    x, sources, kinds = _design(data)
    model = HistGradientBoostingClassifier(**{**MODEL, **(params or {})}, random_state=seed)
    model.fit(x[train], y[train])
    scores = pd.DataFrame(
        {
            "user_id": data.user_id.astype(str),
            "signup_date": pd.to_datetime(data.signup_date),
            "split": np.where(test, "test", "train"),
            "churned": y,
            "churn_probability": model.predict_proba(x)[:, 1],
        }
    )
    if not explain:
        return ChurnFit(scores, _empty(DRIVER_COLUMNS))
    return ChurnFit(scores, explain_model(model, x, data, test, sources, kinds, seed))


def explain_model(model, x, data, test, sources, kinds, seed) -> pd.DataFrame:
    """Mean |SHAP| per feature over the test users (a category's one-hot columns summed,
    as SHAP values add), ranked."""
    import shap  # noqa: PLC0415

    rows = np.flatnonzero(test)
    if len(rows) > MAX_EXPLAINED:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_EXPLAINED, replace=False))
    values = np.asarray(shap.TreeExplainer(model).shap_values(x.iloc[rows]))
    if values.ndim == 3:  # one slice per class
        values = values[..., -1]
    by_feature = pd.DataFrame(values, columns=sources).T.groupby(level=0, sort=False).sum().T
    drivers = pd.DataFrame(
        {
            "feature": by_feature.columns,
            "feature_kind": [kinds[f] for f in by_feature.columns],
            "importance": np.abs(by_feature.to_numpy()).mean(axis=0),
            "riskier_when": [
                _direction(data[f].iloc[rows].reset_index(drop=True), by_feature[f].to_numpy())
                for f in by_feature.columns
            ],
            "explained_users": len(rows),
        }
    ).sort_values(["importance", "feature"], ascending=[False, True], kind="stable")
    drivers["importance_rank"] = np.arange(1, len(drivers) + 1)
    return drivers[list(DRIVER_COLUMNS)].reset_index(drop=True)


# --- checks against truth -----------------------------------------------------------------


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Hanley and McNeil's standard error of an AUC."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)
    ) / (positives * negatives)
    return float(np.sqrt(max(var, 0.0)))


def auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score  # noqa: PLC0415

    return float(roc_auc_score(y, score))


@dataclass
class Ceiling:
    """The churn model's test AUC beside two references computed with the simulator's
    hidden state (truth.users): the planted segment alone (each user scored by their
    segment's churn share among the training users) and the ceiling, the same model given
    the hidden state as well (segment, activity multiplier, whether and on which day of
    the feature window the planted churn came)."""

    model_auc: float
    segment_auc: float
    ceiling_auc: float
    standard_error: float  # of the model's AUC (Hanley and McNeil)
    test_users: int
    churned_share: float


def hidden_state(truth_users: pd.DataFrame, features: pd.DataFrame, feature_days: int):
    """truth.users' hidden state of each user at the end of the feature window."""
    merged = features[["user_id", "signup_date"]].merge(
        truth_users.assign(user_id=truth_users.user_id.astype(str)), on="user_id"
    )
    start = pd.to_datetime(merged.signup_date)
    churn_day = (pd.to_datetime(merged.churned_at) - start).dt.total_seconds() / 86400
    return pd.DataFrame(
        {
            "user_id": merged.user_id,
            "hidden_segment": merged.segment.astype(str),
            "hidden_activity": merged.activity_multiplier.astype(float),
            "hidden_churned_in_window": (churn_day < feature_days).fillna(False).astype(str),
            "hidden_churn_day": churn_day.clip(upper=feature_days).fillna(feature_days),
        }
    )


def ceiling(
    features: pd.DataFrame,
    truth_users: pd.DataFrame,
    feature_days: int,
    holdout_share: float = 0.25,
    seed: int = SEED,
) -> Ceiling:
    scores = fit_churn(features, holdout_share, seed, explain=False).scores
    hidden = hidden_state(truth_users, features, feature_days)
    scored = scores.merge(hidden, on="user_id")
    test = (scored.split == "test").to_numpy()
    y = scored.churned.to_numpy()
    rate = scored[~test].groupby("hidden_segment").churned.mean()
    segment_auc = auc(y[test], scored.hidden_segment[test].map(rate).fillna(rate.mean()))
    informed = fit_churn(features.merge(hidden, on="user_id"), holdout_share, seed, False)
    informed_scores = informed.scores.set_index("user_id").loc[scored.user_id[test]]
    model_auc = auc(y[test], scored.churn_probability[test])
    positives = int(y[test].sum())
    return Ceiling(
        model_auc=model_auc,
        segment_auc=segment_auc,
        ceiling_auc=auc(y[test], informed_scores.churn_probability.to_numpy()),
        standard_error=auc_standard_error(model_auc, positives, int(test.sum()) - positives),
        test_users=int(test.sum()),
        churned_share=float(y[test].mean()),
    )


def planted_strength(features: pd.DataFrame, truth_users: pd.DataFrame, holdout_share: float):
    """How strongly each attribute was planted to go with churn: the users-weighted
    standard deviation, across its values, of the churn share of the users' planted
    segments (shares from the training users). 0 for an attribute independent of the
    segments."""
    hidden = hidden_state(truth_users, features, 0)
    data = features.merge(hidden[["user_id", "hidden_segment"]], on="user_id")
    train = ~held_out(data.signup_date, holdout_share)
    risk = data.hidden_segment.map(data[train].groupby("hidden_segment").churned.mean())
    strength = {}
    for name in features.columns:
        column = features[name]
        if name in KEYS or pd.api.types.is_numeric_dtype(column):
            continue
        by_value = risk.groupby(data[name].astype(str).to_numpy()).agg(["mean", "size"])
        weights = by_value["size"] / by_value["size"].sum()
        mean = float((weights * by_value["mean"]).sum())
        strength[name] = float(np.sqrt((weights * (by_value["mean"] - mean) ** 2).sum()))
    return pd.Series(strength, dtype=float).sort_values(ascending=False)


def ranking_failures(drivers: pd.DataFrame, strength: pd.Series) -> list[str]:
    """What is wrong with a SHAP ranking against the planted drivers, as sentences (none
    when it holds): the leading feature must be a planted driver at least LEAD_FACTOR
    times as important as each control, and the attribute planted most strongly must rank
    above both controls."""
    problems = []
    by_name = drivers.set_index("feature")
    controls = by_name[by_name.feature_kind == "control"]
    top = drivers.iloc[0]
    if top.feature_kind == "control":
        problems.append(f"a control leads the ranking ({top.feature})")
    elif top.importance < LEAD_FACTOR * controls.importance.max():
        problems.append(
            f"the leading driver {top.feature} ({top.importance:.4f}) is less than "
            f"{LEAD_FACTOR}x the strongest control ({controls.importance.max():.4f})"
        )
    planted = strength[strength > 0]
    if len(planted):
        name = str(planted.index[0])
        if by_name.importance_rank[name] > controls.importance_rank.min():
            problems.append(
                f"the most strongly planted attribute {name} ranks "
                f"{by_name.importance_rank[name]}, below a control"
            )
    return problems


LEAD_FACTOR = 5
