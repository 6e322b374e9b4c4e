"""The diagnosis every check asks for is worked out once per epoch of the run's facts, and again
after facts are forgotten; probes are asked once per run."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from glustercheck.errors import UnreachableError
from glustercheck.remote import ConnectOptions
from glustercheck.run import GlusterRun
from glustercheck.spec import loads_spec
from pytest_glustercheck import fixtures

SPEC = loads_spec('[[nodes]]\nname = "rpi0"\naddress = "10.0.1.0"\n'
                  '[[nodes]]\nname = "rpi1"\naddress = "10.0.1.1"\n')


class FakeRun:
    def __init__(self) -> None:
        self.facts_epoch = 0
        self.spec = SPEC

    def all_node_facts(self) -> dict[str, Any]:
        return {}

    def probe(self) -> dict[str, Any]:
        return {}

    def cluster_facts(self) -> None:
        return None


def test_one_diagnosis_per_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []

    def diagnose(*args: object, **kwargs: object) -> object:
        made.append(run.facts_epoch)
        return object()

    monkeypatch.setattr(fixtures, "diagnose", diagnose)
    run = FakeRun()
    config: Any = SimpleNamespace(stash=pytest.Stash(), option=SimpleNamespace(capacity_critical=90))
    first = fixtures.diagnosis_of(run, config)  # type: ignore[arg-type]
    assert fixtures.diagnosis_of(run, config) is first  # type: ignore[arg-type]
    run.facts_epoch += 1  # facts forgotten (e.g. the heal check looking again)
    again = fixtures.diagnosis_of(run, config)  # type: ignore[arg-type]
    assert again is not first
    assert made == [0, 1]


def test_forgetting_facts_moves_the_epoch_and_sharing_anew_never_moves_it_back(tmp_path: Path) -> None:
    run = GlusterRun(SPEC, ConnectOptions(), tmp_path / "cluster.lock")
    start = run.facts_epoch
    run.forget_facts(["rpi0"], cluster=False)
    run.use_share_dir(tmp_path / "after")  # generation back to 0: the epoch goes on
    assert run.facts_epoch == start + 2
    run.close()


def test_probes_are_asked_once_per_run_and_their_map_kept(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    run = GlusterRun(SPEC, ConnectOptions(), tmp_path / "cluster.lock")
    asked: list[str] = []
    down = UnreachableError("rpi1 (10.0.1.1:22) unreachable: no answer within 5 s")

    def reach(name: str) -> UnreachableError | None:
        asked.append(name)
        return down if name == "rpi1" else None

    monkeypatch.setattr(run, "_reach", reach)
    assert run.probe() == {"rpi1": down}
    waited: list[str] = []
    monkeypatch.setattr(run, "probe_result", waited.append)
    assert run.probe() == {"rpi1": down}  # kept: no probe waited for again
    assert run.reachable() == ["rpi0"]
    assert waited == []
    assert sorted(asked) == ["rpi0", "rpi1"]
    run.close()
