"""How many files a run may open: checked before anything connects (no paramiko needed)."""

from __future__ import annotations

import resource

from glustercheck.errors import RemoteError


def open_files_needed(hosts: int) -> int:
    """A socket per kept connection, twice over for headroom, plus what pytest itself opens."""
    return 2 * hosts + 256


def ensure_open_files(hosts: int) -> None:
    """Every host's SSH connection stays open for the whole run, so this process must be allowed
    that many files (pytest-testinfra #452: large fleets hit the limit mid-run, in some random
    check). Raises the soft limit as far as needed and allowed; raises RemoteError up front if
    the hard limit is too low."""
    needed = open_files_needed(hosts)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise RemoteError(
            f"{hosts} hosts keep {hosts} SSH connections open, which needs about {needed} open "
            f"files, but this process may open only {hard} (`ulimit -Hn`): raise the limit (as "
            "root, or LimitNOFILE= in the systemd unit) or check fewer hosts per run")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
