"""Counting on the nodes: what each simulated node's sshd logged, read through its overlay layer."""

from __future__ import annotations

import time
from pathlib import Path

from simcluster import SimConfig, sshd_log

SSHD_LOG = """\
Connection from 10.0.255.254 port 41234 on 10.0.1.0 port 22 rdomain ""
Accepted publickey for pi from 10.0.255.254 port 41234 ssh2: ED25519 SHA256:abc
Starting session: command for pi from 10.0.255.254 port 41234 id 0
Close session: user pi from 10.0.255.254 port 41234 id 0
Starting session: command for pi from 10.0.255.254 port 41234 id 1
Starting session: subsystem 'sftp' for pi from 10.0.255.254 port 41234 id 2
Connection from 10.0.255.254 port 41240 on 10.0.1.0 port 22 rdomain ""
Connection closed by 10.0.255.254 port 41240 [preauth]
"""


def test_connections_logins_and_commands_are_counted_from_the_log() -> None:
    assert sshd_log.count(SSHD_LOG) == sshd_log.SshdCounts(connections=2, logins=1, sessions=3,
                                                           commands=2)
    assert sshd_log.count("") == sshd_log.SshdCounts()


def test_counts_cover_only_what_was_logged_since_the_marks(tmp_path: Path) -> None:
    config = SimConfig(count=2, state_dir=tmp_path)
    log = sshd_log.log_path(config, "rpi0")
    log.parent.mkdir(parents=True)
    log.write_text(SSHD_LOG)
    marks = sshd_log.LogMarks.take(config)
    with log.open("a") as out:
        out.write(SSHD_LOG.splitlines(keepends=True)[0])
    counts = marks.counts(config)
    assert counts == {"rpi0": sshd_log.SshdCounts(connections=1), "rpi1": sshd_log.SshdCounts()}


def test_waiting_for_quiet_logs_ends_once_nothing_grows(tmp_path: Path) -> None:
    config = SimConfig(count=1, state_dir=tmp_path)
    log = sshd_log.log_path(config, "rpi0")
    log.parent.mkdir(parents=True)
    log.write_text(SSHD_LOG)
    started = time.monotonic()
    sshd_log.wait_quiet(config, quiet=0.05, timeout=5)
    assert time.monotonic() - started < 1
