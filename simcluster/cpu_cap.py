"""A CPU cap per node (`simcluster up --cpu 0.25`): each node's processes in a cgroup of their own
that may use that many CPUs' worth of time (0.25: 25 ms in every 100 ms period), as a slow Pi would.

cgroup v1 (this project's CI machine: `/sys/fs/cgroup/cpu/<group>/cpu.cfs_quota_us`) or v2
(`cpu.max`). The groups are `<cpu root>/simcluster/<node>`; the node's launcher enters its group
before it execs, so the node's init and everything it starts (sshd, each SSH session, glusterd,
bricks) are in it. `simcluster exec` runs outside the cap: it is the operator's, not the node's.
Removed at `down`, also after a crash.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP = "simcluster"
PERIOD_US = 100_000
MIN_QUOTA_US = 1_000  # the kernel refuses a shorter quota
REMOVE_TIMEOUT = 10.0


@dataclass(frozen=True)
class CpuController:
    version: int  # 1 or 2
    root: Path  # where the cpu controller's hierarchy starts

    @property
    def parent(self) -> Path:
        return self.root / GROUP

    def group(self, name: str) -> Path:
        return self.parent / name

    def limits(self, share: float) -> dict[str, str]:
        """The files (and values) that cap a group to `share` CPUs."""
        quota = max(MIN_QUOTA_US, round(share * PERIOD_US))
        if self.version == 1:
            return {"cpu.cfs_period_us": str(PERIOD_US), "cpu.cfs_quota_us": str(quota)}
        return {"cpu.max": f"{quota} {PERIOD_US}"}


def find_controller(root: Path = CGROUP_ROOT) -> CpuController:
    if (root / "cpu" / "cpu.cfs_quota_us").exists():
        return CpuController(1, root / "cpu")
    controllers = root / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        return CpuController(2, root)
    raise RuntimeError(f"--cpu needs the cgroup cpu controller: neither {root}/cpu (cgroup v1) nor "
                       f"`cpu` in {controllers} (v2) is there on this machine")


def create(names: list[str], share: float, controller: CpuController | None = None) -> None:
    """One capped group per node."""
    ctl = controller or find_controller()
    if ctl.version == 2:  # v2 hands a controller down only where the parent enables it
        (ctl.root / "cgroup.subtree_control").write_text("+cpu\n")
    ctl.parent.mkdir(exist_ok=True)
    if ctl.version == 2:
        (ctl.parent / "cgroup.subtree_control").write_text("+cpu\n")
    for name in names:
        group = ctl.group(name)
        group.mkdir(exist_ok=True)
        for file, value in ctl.limits(share).items():
            (group / file).write_text(value + "\n")


def launch_prefix(name: str, share: float | None) -> list[str]:
    """argv to put before a node's launcher: it joins the node's group, then execs the launcher
    (a wrapper, not Popen's preexec_fn, which may deadlock in a threaded caller)."""
    if share is None:
        return []
    procs = find_controller().group(name) / "cgroup.procs"
    return ["sh", "-c", 'echo $$ > "$1" && shift && exec "$@"', "simcluster-cpu-cap", str(procs)]


def leftover_groups(root: Path = CGROUP_ROOT) -> list[Path]:
    try:
        parent = find_controller(root).parent
    except RuntimeError:
        return []
    return sorted(p for p in parent.iterdir() if p.is_dir()) if parent.exists() else []


def remove(root: Path = CGROUP_ROOT) -> None:
    """Remove every node group and the parent (their processes are gone after power-off; a group
    still holding a dying process is retried for a few seconds)."""
    try:
        parent = find_controller(root).parent
    except RuntimeError:
        return
    if not parent.exists():
        return
    deadline = time.monotonic() + REMOVE_TIMEOUT
    for group in [*leftover_groups(root), parent]:
        while True:
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cannot remove the CPU-cap group {group} ({exc}); its "
                                       f"processes: {(group / 'cgroup.procs').read_text().split()}"
                                       ) from None
                time.sleep(0.05)
