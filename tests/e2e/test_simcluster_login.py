"""The simulated nodes log in like Raspberry Pi OS: root refused, `pi` with a key and passwordless
sudo. Behind a bastion only the first node answers this machine; the others only through it. A
user's own setup from `simcluster user-ssh-config` and `simcluster agent-add` reaches them with
OpenSSH's client (the files and the agent, nothing else)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from glustercheck.remote import ConnectionPool, probe_all
from glustercheck.run import connect_options, ssh_target
from glustercheck.spec import load_spec
from simcluster import SimCluster, SimConfig
from tests.e2e.loopback_sshd import running_agent
from tests.e2e.test_simcluster import ssh
from tests.e2e.user_ssh import CONTROLLER, Login, SshdLogs, fingerprint, simcluster

pytestmark = pytest.mark.e2e

PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def test_root_is_refused_and_pi_has_passwordless_sudo(cluster: SimCluster) -> None:
    for node in cluster.config.names:
        result = ssh(cluster, node, "id -un; sudo -n id -un")
        assert (result.returncode, result.stdout) == (0, "pi\nroot\n"), result.stderr
        root = ssh(cluster, node, "true", user="root")
        assert root.returncode == 255, root
        assert "Permission denied (publickey)" in root.stderr, root.stderr
        assert cluster.exec(node, ["test", "-e", "/root/.ssh/authorized_keys"],
                            check=False).returncode == 1  # root has no key
    # Refused by PermitRootLogin no, not only for want of a key: given the right one, still refused.
    logs = SshdLogs(cluster).mark()
    cluster.exec("rpi1", ["sh", "-c", "mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys"],
                 input_text=cluster.config.client_key.with_suffix(".pub").read_text())
    try:
        root = ssh(cluster, "rpi1", "true", user="root")
    finally:
        cluster.exec("rpi1", ["rm", "-r", "/root/.ssh"])
    assert root.returncode == 255, root
    assert f"ROOT LOGIN REFUSED FROM {CONTROLLER}" in logs.text("rpi1")


@pytest.fixture(scope="module")
def bastion(sim) -> Iterator[SimCluster]:
    """Nodes behind rpi0 for this module's bastion tests; the default nodes come back after."""
    yield sim.replace(SimConfig(bastion=True))
    sim.reset()


def test_behind_a_bastion_only_the_first_node_answers_this_machine(bastion: SimCluster) -> None:
    cluster = bastion
    key = fingerprint(cluster.config.client_key.with_suffix(".pub"))
    logs = SshdLogs(cluster).mark()
    for node in cluster.config.names:  # the cluster's own ssh_config jumps through rpi0
        result = ssh(cluster, node, "hostname")
        assert (result.returncode, result.stdout) == (0, f"{node}\n"), result.stderr
    direct = subprocess.run(
        ["ssh", "-F", str(cluster.config.ssh_config), "-o", "BatchMode=yes", "-o", "ProxyJump=none",
         "rpi2", "true"], capture_output=True, text=True, timeout=30, check=False)
    assert direct.returncode == 255, direct
    assert "Permission denied (publickey)" in direct.stderr, direct.stderr
    assert f"User pi from {CONTROLLER} not allowed because listed in DenyUsers" in logs.text("rpi2")
    logins = logs.logins()
    assert logins["rpi0"] == {Login("pi", CONTROLLER, key)}, logins
    for node in cluster.config.names[1:]:
        assert logins[node] == {Login("pi", "10.0.1.0", key)}, (node, logins)
    assert (simcluster("status").stdout.count("sshd ok")) == cluster.config.count  # TCP still open
    # The generated cluster.toml works as it is: its ssh_config says ProxyJump.
    spec = load_spec(cluster.config.spec_file)
    with ConnectionPool(connect_options(spec)) as pool:
        targets = [ssh_target(node, spec) for node in spec.nodes]
        assert probe_all(targets, pool=pool) == dict.fromkeys(cluster.config.names)
        assert pool.jump_connections.open_count == 1


def test_users_own_ssh_setup_from_simcluster_reaches_every_node(bastion: SimCluster,
                                                                 tmp_path: Path) -> None:
    """`simcluster user-ssh-config --agent --known-hosts FILE` and `simcluster agent-add`: OpenSSH
    then reaches every node (rpi1.. through rpi0) with the key only in the agent."""
    cluster = bastion
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"rpi2,10.0.1.2 {_other_key(tmp_path)}\n")  # left by an earlier cluster
    printed = simcluster("user-ssh-config", "--agent", "--known-hosts", str(known_hosts))
    assert printed.returncode == 0, printed.stderr
    keywords = [line.split()[0] for line in printed.stdout.splitlines()
                if line.strip() and not line.startswith("#")]
    assert "IdentityFile" not in keywords
    assert printed.stdout.count("ProxyJump rpi0") == cluster.config.count - 1
    assert "replacing 1 older line(s)" in printed.stderr
    # OpenSSH passes -F, not -o, on to the ssh it runs for ProxyJump: the file names known_hosts.
    config = tmp_path / "config"
    config.write_text(printed.stdout + f"\nHost *\n    UserKnownHostsFile {known_hosts}\n"
                      "    StrictHostKeyChecking yes\n    BatchMode yes\n")
    no_agent = simcluster("agent-add", env={"PATH": PATH})
    assert no_agent.returncode == 1
    assert no_agent.stderr.startswith("simcluster: no ssh-agent to add the key to: SSH_AUTH_SOCK "
                                      "is not set. Start one"), no_agent.stderr
    assert "Traceback" not in no_agent.stderr
    with running_agent() as agent:
        env = {"SSH_AUTH_SOCK": agent, "PATH": PATH}
        added = simcluster("agent-add", env=env)
        assert added.returncode == 0, added.stderr
        assert str(cluster.config.client_key) in added.stdout
        for node in cluster.config.names:
            result = subprocess.run(["ssh", "-F", str(config), node, "hostname"], env=env,
                                    capture_output=True, text=True, timeout=30, check=False)
            assert (result.returncode, result.stdout) == (0, f"{node}\n"), result.stderr


def _other_key(directory: Path) -> str:
    key = directory / "old_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True,
                   timeout=30)
    return " ".join(key.with_suffix(".pub").read_text().split()[:2])
