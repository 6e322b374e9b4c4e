"""Setup actions as values, one executor, and the record of what a setup run did.

Planners (the top-level `setup_steps` package) read facts and return `Plan`s of these actions;
`Executor` runs them; check-only mode only records them as missing. Nothing here imports pytest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glustercheck.lazy_exports import lazy_attributes

if TYPE_CHECKING:
    from glustercheck.actions.executor import Executor, Progress, record_missing
    from glustercheck.actions.model import (
        UNCHANGED,
        Action,
        ClearHalfMadeBrick,
        Command,
        ForgetCreate,
        InstallPackage,
        MakeDirectory,
        PeerProbe,
        Plan,
        RecordCreate,
        StartGlusterd,
        VolumeCreate,
        VolumeSet,
        VolumeStart,
        WriteHostsFile,
    )
    from glustercheck.actions.peer_store import (
        RepairPeerRecords,
        RestartGlusterd,
        SetAsideRecords,
        StopGlusterd,
    )
    from glustercheck.actions.pool_waits import (
        IN_CLUSTER,
        GlusterdAnswers,
        PeersConnected,
        PoolSteady,
        all_in_cluster,
    )
    from glustercheck.actions.record import CLUSTER, PoolUnsettled, SetupError, SetupReport, volume_key
    from glustercheck.actions.waits import BricksOnline, Settle, wait_until

# Each name is imported from its module on first use: the report, the checks and the plugin
# need only SetupReport (.record), and a run that only collects (or only checks) must not load
# every setup action, wait and planner with it.
_HOME = {
    **dict.fromkeys(("Executor", "Progress", "record_missing"), ".executor"),
    **dict.fromkeys(("UNCHANGED", "Action", "ClearHalfMadeBrick", "Command", "ForgetCreate",
                     "InstallPackage", "MakeDirectory", "PeerProbe", "Plan", "RecordCreate",
                     "StartGlusterd", "VolumeCreate", "VolumeSet", "VolumeStart",
                     "WriteHostsFile"), ".model"),
    **dict.fromkeys(("RepairPeerRecords", "RestartGlusterd", "SetAsideRecords", "StopGlusterd"),
                    ".peer_store"),
    **dict.fromkeys(("IN_CLUSTER", "GlusterdAnswers", "PeersConnected", "PoolSteady", "all_in_cluster"),
                    ".pool_waits"),
    **dict.fromkeys(("CLUSTER", "PoolUnsettled", "SetupError", "SetupReport", "volume_key"), ".record"),
    **dict.fromkeys(("BricksOnline", "Settle", "wait_until"), ".waits"),
}

__getattr__ = lazy_attributes(__name__, _HOME)

__all__ = [
    "CLUSTER",
    "IN_CLUSTER",
    "UNCHANGED",
    "Action",
    "BricksOnline",
    "ClearHalfMadeBrick",
    "Command",
    "Executor",
    "ForgetCreate",
    "GlusterdAnswers",
    "InstallPackage",
    "MakeDirectory",
    "PeerProbe",
    "PeersConnected",
    "Plan",
    "PoolSteady",
    "PoolUnsettled",
    "Progress",
    "RecordCreate",
    "RepairPeerRecords",
    "RestartGlusterd",
    "SetAsideRecords",
    "Settle",
    "SetupError",
    "SetupReport",
    "StartGlusterd",
    "StopGlusterd",
    "VolumeCreate",
    "VolumeSet",
    "VolumeStart",
    "WriteHostsFile",
    "all_in_cluster",
    "record_missing",
    "volume_key",
    "wait_until",
]
