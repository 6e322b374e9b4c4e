"""A `gluster volume create` request as values, and the command line that reproduces it."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CreateRequest:
    """What a user asked `gluster volume create` for. A count of 0 means "not given".

    `bricks` are in command order; with `thin_arbiter` the last brick is the thin-arbiter brick.
    `given` names options that were typed even if their value reads as 0 (`replica 0`, or
    `disperse` without a count, which means "all bricks"). `notes` carry parse-time warnings.
    """

    volume: str
    bricks: tuple[str, ...]
    replica: int = 0
    arbiter: int = 0
    thin_arbiter: int = 0
    disperse: int = 0
    disperse_data: int = 0
    redundancy: int = 0
    stripe: int = 0
    transport: str = "tcp"
    force: bool = False
    given: frozenset[str] = field(default=frozenset(), compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)

    def has(self, option: str) -> bool:
        """Whether `option` (a keyword such as "disperse-data") was given at all."""
        return option in self.given or bool(getattr(self, option.replace("-", "_")))

    @property
    def data_bricks(self) -> tuple[str, ...]:
        """The bricks that form groups (all but a thin-arbiter brick)."""
        return self.bricks[:-1] if self.thin_arbiter and self.bricks else self.bricks


def create_args(request: CreateRequest, bricks: Sequence[str] | None = None) -> list[str]:
    """The arguments after `gluster` that create `request`, with `bricks` if given.

    `bricks` replaces the data bricks (a thin-arbiter brick stays last). The executor runs these
    as an argument vector; `render_command` shows the same words to a person.
    """
    data = list(request.data_bricks if bricks is None else bricks)
    words = ["volume", "create", request.volume]
    if request.has("replica"):
        words += ["replica", str(request.replica)]
        if request.has("arbiter"):
            words += ["arbiter", str(request.arbiter)]
        elif request.has("thin-arbiter"):
            words += ["thin-arbiter", str(request.thin_arbiter)]
    if request.has("stripe"):
        words += ["stripe", str(request.stripe)]
    if request.has("disperse"):
        words += ["disperse"] + ([str(request.disperse)] if request.disperse else [])
    for option in ("disperse-data", "redundancy"):
        if request.has(option):
            words += [option, str(getattr(request, option.replace("-", "_")))]
    if request.transport != "tcp":
        words += ["transport", request.transport]
    words += data
    if request.thin_arbiter and request.bricks:
        words.append(request.bricks[-1])
    if request.force:
        words.append("force")
    return words


def render_command(request: CreateRequest, bricks: Sequence[str] | None = None) -> str:
    """A ready-to-paste `gluster volume create` line for `request`, with `bricks` if given.

    No `--mode=script`: the line is for a person, who should see gluster's replica-2 question if
    there is one.
    """
    return " ".join(shlex.quote(w) for w in ["gluster", *create_args(request, bricks)])
