"""`sim day --definition FILE`: a day on an election made from a commission's definition.

The election is the definition's (contests, parties, names, kind, poll hours, time zone) on
the simulator's one precinct, held today: a terminal opens the polls only on election day.
The simulated voters are Kyrgyz citizens with Kyrgyz documents and 14-digit PINs
(sim.synthetic), and a terminal refuses a foreign national, so the day's election is held
in their country (KG, documents KGZ) whatever the definition's country: the contests are
the definition's. Its territorial hierarchy is left out (the simulated precinct belongs to
no district of it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from host_tools.commission import ElectionSpec
from host_tools.election.definition import DefinitionError, load_definition
from host_tools.election.media import NO_MEDIA, Media, MediaError, read_media

SIM_COUNTRY, SIM_DOCUMENTS = "KG", ("KGZ",)


class DefinitionProblem(Exception):
    """The definition file cannot make the day's election; the message says why."""


def day_spec(path: Path) -> ElectionSpec:
    """The definition's election, held today in its own time zone."""
    try:
        spec = load_definition(path).spec
    except DefinitionError as exc:
        raise DefinitionProblem(f"--definition {path}:\n{exc}") from exc
    sign = -1 if spec.timezone.startswith("-") else 1
    hours, minutes = spec.timezone[1:].split(":")
    offset = sign * dt.timedelta(hours=int(hours), minutes=int(minutes))
    today = (dt.datetime.now(dt.UTC) + offset).date()
    rules = dataclasses.replace(spec.identification, countries=SIM_DOCUMENTS)
    return dataclasses.replace(
        spec, date=today, country=SIM_COUNTRY, identification=rules, territories=()
    )


def day_media(path: Path | None) -> Media:
    """The definition's recorded audio-ballot lines and party logos, checked as `election
    create` checks them (none without a definition)."""
    if path is None:
        return NO_MEDIA
    try:
        return read_media(load_definition(path))
    except (DefinitionError, MediaError) as exc:
        raise DefinitionProblem(f"--definition {path}:\n{exc}") from exc
