"""The checks' own wiring: the setup steps run once per pytest run before the first check, and
then, in one process, the data path trial starts in the background.

This is the one place where the pytest plugin (run, shared state, xdist) meets the setup steps
(pure planners): the layers below know nothing of each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from glustercheck.actions import SetupReport
from glustercheck.datapath_trial import Refused, Trial, attempt
from glustercheck.run import GlusterRun
from pytest_glustercheck.fixtures import diagnosis_of, setup_once
from pytest_glustercheck.session import is_xdist_worker

DATA_PATH_CHECK = "test_written_on_one_node_reads_back_on_another"


def _is_data_path_check(item: pytest.Item) -> bool:
    return getattr(item, "originalname", None) == DATA_PATH_CHECK


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The data path check last (a stable sort: the rest keep their order): its trial, started
    before the first check (`data_path_started`), then runs while all the others do."""
    items.sort(key=_is_data_path_check)


@pytest.fixture(scope="session")
def converged(request: pytest.FixtureRequest, run: GlusterRun) -> SetupReport:
    # Imported here: a run that only collects never loads the setup steps and their actions.
    from glustercheck_setup_steps import converge

    option = request.config.option
    return setup_once(request.config, lambda progress: converge(
        run, apply=option.apply, replace_hosts_conflicts=option.replace_hosts_conflicts,
        progress=progress))


@pytest.fixture(scope="session", autouse=True)
def data_path_started(request: pytest.FixtureRequest, run: GlusterRun,
                      converged: SetupReport) -> Iterator[dict[str, Future[Refused | Trial]]]:
    """The data path trial of each volume whose check was selected, started now, in the
    background: its mounts and writes (a few tenths of a second, most of what the checks wait
    for) overlap the other checks. The trial decides from the facts the checks read, after the
    setup steps, so it is the one the check would make. Not on xdist workers: none can know
    whether it will be handed the check, so the one that is makes the trial then."""
    session = request.session
    volumes = [] if is_xdist_worker(request.config) else list(dict.fromkeys(
        item.callspec.params["volume"] for item in session.items
        if _is_data_path_check(item) and hasattr(item, "callspec")))
    if not volumes:
        yield {}
        return
    config = request.config
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-path")

    def trial(volume: str) -> Refused | Trial:
        return attempt(run, run.spec, volume, lambda: diagnosis_of(run, config))

    try:
        yield {volume: background.submit(trial, volume) for volume in volumes}
    finally:
        # A run stopped early (-x, a deadline) still lets a trial in progress unmount and remove
        # its files (each command has its own timeout); trials not yet begun are dropped.
        background.shutdown(wait=True, cancel_futures=True)
