"""`ssh -G` as an oracle: what OpenSSH itself makes of a config, offline (it never connects)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest

from glustercheck.remote import ConnectOptions, SshTarget, resolve
from glustercheck.remote.jumps import parse_proxy_jump
from glustercheck.remote.resolver import local_user
from glustercheck.remote.sshconfig import HostKeyChecking, SshConfig

SSH = shutil.which("ssh")
needs_ssh = pytest.mark.skipif(SSH is None, reason="needs the OpenSSH client (bin/bootstrap installs it)")

# What `ssh -G` prints for StrictHostKeyChecking, in our terms ("ask" cannot be asked here).
_CHECKING = {"true": HostKeyChecking.YES, "ask": HostKeyChecking.YES, "false": HostKeyChecking.NO,
             "accept-new": HostKeyChecking.ACCEPT_NEW}
MULTI = ("identityfile",)
COMPARED = ("user", "hostname", "port", "identityfile", "identitiesonly", "proxycommand", "proxyjump",
            "stricthostkeychecking", "connecttimeout", "hostkeyalias", "userknownhostsfile",
            "globalknownhostsfile", "hashknownhosts")


def passwd_home() -> Path:
    """ssh takes ~ from the passwd entry, not $HOME: the oracle runs must agree on it."""
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


def ssh_g(config: Path, host: str) -> dict[str, str]:
    """`ssh -G -F config host` as {keyword: value}; multi-valued keywords joined by newlines."""
    assert SSH is not None
    run = subprocess.run([SSH, "-G", "-F", str(config), host], capture_output=True, text=True, timeout=10,
                         stdin=subprocess.DEVNULL, check=False)
    if run.returncode != 0:
        raise AssertionError(f"ssh -G failed for {host}: {run.stderr}")
    out: dict[str, str] = {}
    for line in run.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key in MULTI and key in out:
            out[key] += "\n" + value
        else:
            out[key] = value
    return out


def expected(config: Path, host: str) -> dict[str, object]:
    """The compared values of `ssh -G`, normalised to what our resolver gives."""
    g = ssh_g(config, host)
    return {
        "user": g["user"],
        "hostname": g["hostname"],
        "port": int(g["port"]),
        "identityfile": tuple(g["identityfile"].split("\n")) if "identityfile" in g else (),
        "identitiesonly": g["identitiesonly"] == "yes",
        "proxycommand": g.get("proxycommand"),
        "proxyjump": parse_proxy_jump(g["proxyjump"]) if "proxyjump" in g else (),
        "stricthostkeychecking": _CHECKING[g["stricthostkeychecking"]],
        "connecttimeout": None if g["connecttimeout"] == "none" else float(g["connecttimeout"]),
        "hostkeyalias": g.get("hostkeyalias"),
        "userknownhostsfile": () if g["userknownhostsfile"] == "none" else tuple(
            Path(p) for p in g["userknownhostsfile"].split()),
        "globalknownhostsfile": () if g["globalknownhostsfile"] == "none" else tuple(
            Path(p) for p in g["globalknownhostsfile"].split()),
        "hashknownhosts": g["hashknownhosts"] == "yes",
    }


def ours(config: Path, host: str) -> dict[str, object]:
    """The same values from glustercheck: the config lookup, and the resolver for expanded files."""
    found = SshConfig.load(config, home=passwd_home(), local_user=local_user(), system=None).lookup(host)
    resolved = resolve(SshTarget(host), ConnectOptions(ssh_config=config, system_ssh_config=None))
    raw_ids = found.identity_files or tuple(
        f"~/.ssh/{n}" for n in ("id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk",
                                "id_xmss", "id_dsa"))
    command = found.proxy_command
    return {
        "user": resolved.user,
        "hostname": found.hostname,
        "port": resolved.port,
        "identityfile": raw_ids,
        "identitiesonly": bool(found.identities_only),
        "proxycommand": command if command and command.lower() != "none" else None,
        "proxyjump": parse_proxy_jump(found.proxy_jump) if found.proxy_jump else (),
        "stricthostkeychecking": found.strict_host_key_checking or HostKeyChecking.YES,
        "connecttimeout": found.connect_timeout,
        "hostkeyalias": found.host_key_alias,
        "userknownhostsfile": resolved.known_hosts,
        "globalknownhostsfile": resolved.global_known_hosts,
        "hashknownhosts": resolved.hash_known_hosts,
    }


def compare(config: Path, host: str) -> None:
    want, got = expected(config, host), ours(config, host)
    diff = {k: (want[k], got[k]) for k in COMPARED if want[k] != got[k]}
    assert not diff, f"{host}: (ssh -G, ours) differ in {diff}\nconfig:\n{config.read_text()}"
