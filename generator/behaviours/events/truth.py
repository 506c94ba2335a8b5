"""The answer key of this behaviour: the event chains' transition chances."""

from __future__ import annotations

from generator.behaviours.events import simulate as events
from generator.columns import Add
from generator.scenario import Scenario


def parameters(scenario: Scenario, add: Add) -> None:
    names = scenario.event_names()
    matrices = events.transition_matrices(scenario)
    chains = [(g, t) for g in scenario.segment_names() for t in scenario.stage_names()]
    per_chain = 1 << len(scenario.adoption)  # the chains of users yet to adopt a feature
    for c, (seg_name, stage) in enumerate(chains):
        chain = seg_name if stage is None else f"{seg_name}/{stage}"
        for i, src in enumerate(names):
            for j, dst in enumerate([*names, "end"]):
                if matrices[c * per_chain, i, j] > 0:
                    add(
                        "events.transition",
                        f"{chain}/{src}/{dst}",
                        matrices[c * per_chain, i, j],
                        "probability",
                        "chance the next event is dst (session depth applied; by segment, "
                        "and by lifecycle stage when the world has one) before any adoption",
                    )
    add(
        "events.session_start",
        scenario.events.session_start,
        1.0,
        "event",
        "the event that opens every session after the signup's (dimension)",
    )
