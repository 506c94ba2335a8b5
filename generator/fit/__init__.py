"""Fitting a world from an event log: `read_log` reads and checks the log (log.py), the
chain, segments, calendar and activity are estimated as the simulator plants them
(chain.py, segments.py, calendar.py, activity.py), and `fit_world` assembles the scenario
(world.py), which `write_scenario` writes only over a file it wrote itself."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from generator.fit.log import LogError, read_log
from generator.fit.world import Fitted, fit_world

__all__ = ["FIT_MARK", "Fitted", "LogError", "fit_world", "read_log", "write_scenario"]

FIT_MARK = "# Fitted by `python -m generator fit`"


def write_scenario(fitted: Fitted, path: str) -> None:
    """The scenario as YAML with a header saying how it was fitted; an existing file is
    replaced only if the fit wrote it."""
    out = Path(path)
    if out.is_dir():
        raise LogError(f"{path}: is a folder")
    if out.exists():
        with out.open(encoding="utf-8", errors="replace") as f:
            if not f.readline().startswith(FIT_MARK):
                raise LogError(f"{path}: exists and was not written by fit (left as it was)")
    header = [f"{FIT_MARK} from {fitted.log.source}."]
    header += [f"# {line}" for line in fitted.lines()]
    body = yaml.safe_dump(fitted.scenario, sort_keys=False, default_flow_style=None, width=100)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text("\n".join(header) + "\n" + body, encoding="utf-8")
    os.replace(tmp, out)
