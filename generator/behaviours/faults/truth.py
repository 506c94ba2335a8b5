"""The planted fault rates in truth.parameters (each faulty row is labelled in
truth.faults as the shards deliver it)."""

from __future__ import annotations

from generator.behaviours.faults.simulate import of
from generator.columns import Add
from generator.scenario import Scenario


def parameters(scenario: Scenario, add: Add) -> None:
    f = of(scenario)
    add(
        "faults.duplicates_same_id",
        "",
        f.duplicates.same_id,
        "share",
        "app events received twice, same id",
    )
    add(
        "faults.duplicates_new_id",
        "",
        f.duplicates.new_id,
        "share",
        "app events resent with a new id",
    )
    add("faults.late_share", "", f.late.share, "share", "app events uploaded an hour or more late")
    add(
        "faults.clock_skew_devices",
        "",
        f.clock_skew.devices,
        "share",
        "users whose device clock is off",
    )
    add("faults.scripted_accounts", "", f.accounts.scripted, "accounts", "scripted accounts")
    add("faults.staff_accounts", "", f.accounts.staff, "accounts", "staff test accounts")
    add(
        "faults.missing_attributes",
        "",
        f.missing_attributes,
        "share",
        "attribute values left empty",
    )
    add(
        "faults.orphan_users",
        "",
        f.orphans.users,
        "share",
        "users whose row loads after their events",
    )
    add(
        "faults.negative_durations",
        "",
        f.out_of_range.negative_durations,
        "share",
        "durations with the sign flipped",
    )
    add(
        "faults.amounts_in_cents",
        "",
        f.out_of_range.amounts_in_cents,
        "share",
        "invoice amounts in cents",
    )
