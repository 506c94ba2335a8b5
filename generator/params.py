"""Scenario numbers overridden from outside the YAML: `--params FILE.csv` (one parameter
path and its value per row) and `--set path=value`. A path names a key of the scenario as
written, dots between keys and list positions (`segments.loyal.share`,
`activity.age_decay.curve.0`); it must exist, and the new value must be of the kind the
old one was (a number for a number). The scenario is then validated as a whole, like the
YAML, and the overrides are written to truth.scenario_overrides."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import yaml

from generator.scenario import Scenario, parse_scenario, read_scenario_file
from generator.section import ScenarioError

MAX_PARAMS_BYTES = 1_000_000
MAX_OVERRIDES = 10_000
PATH_COLUMNS = ("parameter", "path")


@dataclass(frozen=True)
class Override:
    path: str
    text: str  # the value as given
    source: str  # where it was given: "--set" or "FILE line N"


def parse_set(item: str) -> Override:
    """`path=value` from the command line."""
    path, sep, text = item.partition("=")
    if not sep or not path.strip():
        raise ScenarioError(f"--set {item!r}: give path=value (for example users=65000)")
    return Override(path.strip(), text.strip(), "--set")


def read_params(path: str | Path) -> list[Override]:
    """The rows of a parameters CSV: a header naming a `parameter` (or `path`) column and a
    `value` column (others, such as a description, are kept for people and ignored); blank
    rows and rows whose first cell starts with # are skipped."""
    path = Path(path)
    try:
        if not path.is_file():
            raise ScenarioError(
                f"{path}: " + ("not a regular file" if path.exists() else "no such file")
            )
        if path.stat().st_size > MAX_PARAMS_BYTES:
            raise ScenarioError(f"{path}: a parameters file is at most {MAX_PARAMS_BYTES:,} bytes")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ScenarioError(f"{path}: not valid CSV ({exc})") from None
    rows = [r for r in rows if any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if not rows:
        raise ScenarioError(f"{path}: no header (parameter,value)")
    header = [c.strip().lower() for c in rows[0]]
    key = next((c for c in PATH_COLUMNS if c in header), None)
    if key is None or "value" not in header:
        raise ScenarioError(f"{path}: the header must name a parameter column and a value column")
    at_key, at_value = header.index(key), header.index("value")
    if len(rows) - 1 > MAX_OVERRIDES:
        raise ScenarioError(f"{path}: at most {MAX_OVERRIDES:,} parameters")
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ScenarioError(
                f"{path} line {line}: {len(row)} cells, the header has {len(header)}"
            )
        out.append(Override(row[at_key].strip(), row[at_value].strip(), f"{path.name} line {line}"))
    return out


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dt.date):
        return "a date (YYYY-MM-DD)"
    if isinstance(value, str):
        return "a name or text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null"


def _parse(text: str) -> object:
    try:
        return yaml.safe_load(text) if text else None
    except (yaml.YAMLError, ValueError):  # not YAML, or a date that does not exist
        return text


def apply(data: dict, overrides: list[Override]) -> dict:
    """A copy of the parsed scenario with each override in place; ScenarioError naming the
    override's source and path when the path is not in the scenario or the value is not of
    the kind it replaces. A later override of the same path wins."""
    out = copy.deepcopy(data)
    for o in overrides:
        where = f"{o.source}: {o.path}"
        keys = o.path.split(".")
        if not o.path or any(not k for k in keys):
            raise ScenarioError(f"{where}: not a path of keys joined by dots")
        node: object = out
        for depth, k in enumerate(keys):
            last = depth == len(keys) - 1
            if isinstance(node, dict) and k in node:
                if last:
                    node[k] = _replacement(where, node[k], o.text)
                else:
                    node = node[k]
            elif isinstance(node, list) and k.isdigit() and int(k) < len(node):
                if last:
                    node[int(k)] = _replacement(where, node[int(k)], o.text)
                else:
                    node = node[int(k)]
            else:
                prefix = ".".join(keys[: depth + 1])
                raise ScenarioError(f"{where}: the scenario has no {prefix}")
    return out


def _replacement(where: str, old: object, text: str) -> object:
    new = _parse(text)
    if isinstance(old, dict | list):
        raise ScenarioError(f"{where}: a {_kind(old)[2:]}; override the values inside it")
    same = _kind(new) == _kind(old)
    if isinstance(old, str) and not isinstance(new, dict | list):
        new, same = text, True  # a name stays the text given (even "1" or "yes")
    if not same:
        raise ScenarioError(f"{where}: expects {_kind(old)}, got {text!r}")
    return new


def table(overrides: list[Override], original: dict) -> pa.Table:
    """truth.scenario_overrides: each override in the order applied, the value it replaced."""
    rows = [(o.path, _text(_lookup(original, o.path)), o.text, o.source) for o in overrides]
    cols: list[tuple[str, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 4
    return pa.table(
        {
            "path": pa.array(cols[0], type=pa.string()),
            "scenario_value": pa.array(cols[1], type=pa.string()),
            "value": pa.array(cols[2], type=pa.string()),
            "source": pa.array(cols[3], type=pa.string()),
        }
    )


def _lookup(data: object, path: str) -> object:
    for k in path.split("."):
        data = data[int(k)] if isinstance(data, list) else data[k]  # type: ignore[index]
    return data


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def load(
    path: str | Path, users: int | None = None, overrides: Sequence[Override] = ()
) -> Scenario:
    """Read a scenario file, put the overrides in place and validate the result; raises
    ScenarioError with one line on any problem."""
    data = read_scenario_file(path)
    if overrides:
        if not isinstance(data, dict):
            raise ScenarioError("(top level): must be a mapping of keys")
        data = apply(data, list(overrides))
    return parse_scenario(data, users=users)


def overrides_table(path: str | Path, overrides: list[Override]) -> pa.Table:
    """truth.scenario_overrides for a scenario file loaded with these overrides."""
    data = read_scenario_file(path)
    return table(overrides, data if isinstance(data, dict) else {})
