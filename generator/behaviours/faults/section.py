"""The faults section: the data-quality problems a world's pipelines deliver with the data.
Trackers retry and send an event twice, offline devices upload late and with clocks that
are off, scripted and staff accounts mix with customers, attributes go missing, the users
table lags the event stream, a client release logs values out of range and a rename ships
on a date. Each fault is planted at its rate and labelled in truth.faults, never in raw."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from generator.section import Date, Name, Probability, Strict, at

if TYPE_CHECKING:
    from generator.scenario import Scenario

Hours = Annotated[float, Field(gt=0.0, le=24.0 * 365)]
Minutes = Annotated[float, Field(gt=0.0, le=60.0 * 24 * 365)]
Domain = Annotated[
    str, Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
]


class Duplicates(Strict):
    same_id: Probability = Field(
        0.0, description="share of app events the collector receives twice with the same id"
    )
    new_id: Probability = Field(
        0.0, description="share resent seconds later as a new event (new id, same content)"
    )


class Late(Strict):
    share: Probability = Field(0.0, description="share of app events uploaded late (offline)")
    median_hours: Hours = Field(6.0, description="median delay beyond the first hour")


class ClockSkew(Strict):
    devices: Probability = Field(0.0, description="share of users whose device clock is off")
    median_minutes: Minutes = Field(20.0, description="median size of the offset (either way)")


class Accounts(Strict):
    scripted: Annotated[int, Field(ge=0, le=1000)] = Field(
        0, description="scripted accounts (scrapers, load tests) logging inhuman volumes"
    )
    events_per_day: Annotated[int, Field(ge=2000, le=50_000)] = Field(
        5000, description="median events a scripted account logs on a day it runs"
    )
    staff: Annotated[int, Field(ge=0, le=1000)] = Field(
        0, description="staff test accounts, human in pace, on the company's own domains"
    )
    internal_domains: list[Domain] = Field(
        ["staff.example.net"], min_length=1, max_length=10, description="the company's domains"
    )


class Orphans(Strict):
    users: Probability = Field(
        0.0, description="share of users whose row reaches raw.users after their first events"
    )
    median_hours: Hours = Field(8.0, description="median lag beyond the first hour")


class OutOfRange(Strict):
    negative_durations: Probability = Field(
        0.0, description="share of app events with a duration logged with its sign flipped"
    )
    amounts_in_cents: Probability = Field(
        0.0, description="share of invoices whose amount was written in cents"
    )


class Rename(Strict):
    event: Name
    renamed_to: Name
    since: Date


class Faults(Strict):
    """What the pipelines deliver wrong, at realistic rates; every rate may be zero."""

    duplicates: Duplicates = Duplicates()
    late: Late = Late()
    clock_skew: ClockSkew = ClockSkew()
    accounts: Accounts = Accounts()
    missing_attributes: Probability = Field(
        0.0, description="share of each user attribute's values left empty"
    )
    orphans: Orphans = Orphans()
    out_of_range: OutOfRange = OutOfRange()
    rename: Rename | None = None


def check(world: Scenario) -> None:
    faults = world.faults
    if faults is None:
        return
    if faults.duplicates.same_id + faults.duplicates.new_id > 0.5:
        raise at("faults.duplicates", "at most half the events can be sent twice")
    rename = faults.rename
    if rename is None:
        return
    logged = world.logged_events()
    if rename.event not in world.event_names():
        raise at("faults.rename.event", f"unknown event '{rename.event}'")
    if rename.renamed_to in logged:
        raise at("faults.rename.renamed_to", f"'{rename.renamed_to}' is already an event")
    if not world.start < rename.since <= world.end:
        raise at("faults.rename.since", f"must fall after {world.start} and by {world.end}")
