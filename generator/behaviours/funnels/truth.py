"""The answer key of this behaviour: step rates, delays, windows and entry chances."""

from __future__ import annotations

from generator.behaviours.funnels.section import answer_shares, conversion_entry_chances
from generator.columns import Add
from generator.scenario import Scenario
from generator.section import present


def parameters(scenario: Scenario, add: Add) -> None:
    for name, funnel in scenario.funnels.items():
        add(
            "funnel.window_days",
            name,
            funnel.window_days,
            "days",
            "every step within this many days of step 1",
        )
        for k, step in enumerate(funnel.steps[1:], start=2):
            dim = f"{name}/{k}/{step.event}"
            add(
                "funnel.step_rate",
                dim,
                step.rate,
                "probability",
                "chance of the step given the previous one (times the segment multiplier)",
            )
            add(
                "funnel.delay_median_hours",
                dim,
                present(step.hours).median,
                "hours",
                "median log-normal delay after the previous step",
            )
            add(
                "funnel.delay_sigma",
                dim,
                present(step.hours).sigma,
                "log sd",
                "spread of the log-normal delay",
            )
        if funnel.entry == "plan_conversion":
            chances = conversion_entry_chances(scenario, funnel)
            for s, seg_name in enumerate(scenario.segment_names()):
                for inactive, state in enumerate(("active", "inactive")):
                    add(
                        "funnel.entry_chance",
                        f"{name}/{seg_name}/{state}",
                        chances[s, inactive],
                        "probability",
                        "chance of step 1 at a monthly decision on the free plan",
                    )
        for question, asked in funnel.states.items():
            add(
                "funnel.state_response_rate",
                f"{name}/{question}",
                asked.response_rate,
                "probability",
                "chance a user reaching a step answers its question",
            )
            for event in asked.shares:
                shares = answer_shares(scenario, asked, event)
                for s, seg_name in enumerate(scenario.segment_names()):
                    for value, share in zip(asked.values, shares[s], strict=True):
                        add(
                            "funnel.state_share",
                            f"{event}/{question}/{seg_name}/{value}",
                            share,
                            "share",
                            f"share of the segment's answers to {question} at {event}",
                        )
        for seg_name in scenario.segment_names():
            add(
                "funnel.segment_multiplier",
                f"{name}/{seg_name}",
                funnel.segment_multipliers.get(seg_name, 1.0),
                "ratio",
                "multiplier on every step rate (capped at 1)",
            )
