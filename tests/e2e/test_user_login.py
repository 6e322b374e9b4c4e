"""A real user's first run, on Raspberry-Pi-OS-like nodes (root may not log in; `pi` has
passwordless sudo; no gluster yet): the suite installed from the wheel, run from an empty directory
with a HOME of its own, reaching the nodes only through what a user has - ~/.ssh/config, an
ssh-agent, known_hosts, testinfra's options, an Ansible inventory - directly or through a bastion.
Where commands ran (as whom, on which node) is read from the nodes themselves: `hostname` and
`id -un` run through testinfra's `host`, and each node's sshd log of accepted logins."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simcluster import SimCluster, SimConfig
from tests.e2e.conftest import Installed
from tests.e2e.loopback_sshd import running_agent
from tests.e2e.suite_runner import ALL_CHECKS, ConvergedCluster
from tests.e2e.user_ssh import (
    CONTROLLER,
    WHERE_TEST,
    Login,
    SshdLogs,
    add_user,
    authorize,
    fingerprint,
    host_names,
    new_key,
    simcluster,
    where,
    write_home,
)

pytestmark = pytest.mark.e2e

HOSTS = "--hosts=rpi0..rpi3"
NODES = SimConfig().names
USER_CONFIG = "Host rpi*\n    User pi\n"  # no IdentityFile: the key is in ssh-agent
BEHIND_RPI0 = "Host rpi* !rpi0\n    ProxyJump rpi0\n"
_CHANGES = re.compile(r"setup steps \((apply|check-only), [0-9.]+ s\): (\d+) change\(s\)")

Nodes = Callable[..., SimCluster]


@pytest.fixture(scope="module")
def pi_nodes(sim, converged_cluster: ConvergedCluster) -> Iterator[Nodes]:
    """`pi_nodes(bastion=False)`: the module's fresh Pi-OS-like nodes, replaced only when another
    kind is asked for; the session's default nodes come back after the module."""
    converged_cluster.invalidate()

    def nodes(*, bastion: bool = False) -> SimCluster:
        wanted = SimConfig(variant="fresh", bastion=bastion)
        if sim.cluster.config != wanted or not sim.cluster.is_running():
            sim.replace(wanted)
        return sim.cluster

    yield nodes
    sim.reset()


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The user's empty directory."""
    directory = tmp_path / "work"
    directory.mkdir()
    return directory


def changes(result: subprocess.CompletedProcess[str]) -> int:
    found = _CHANGES.findall(result.stdout)
    assert len(found) == 1, result.stdout[-3000:]
    return int(found[0][1])


def passed(result: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"(\d+) passed", result.stdout.strip().splitlines()[-1])
    return int(found.group(1)) if found else 0


def shown(result: subprocess.CompletedProcess[str]) -> str:
    return f"rc={result.returncode}\n{result.stdout[-5000:]}\n--- stderr ---\n{result.stderr[-2000:]}"


def converge_and_check(installed: Installed, work: Path, home: Path, agent: str) -> None:
    """The how-to by a user: --apply converges, a second --apply changes nothing, check-only passes."""
    env = {"SSH_AUTH_SOCK": agent}
    started = time.monotonic()
    first = installed.pytest(work, HOSTS, "--apply", "--replace-hosts-conflicts", home=home, env=env)
    print(f"--apply from fresh nodes: {time.monotonic() - started:.1f} s")
    assert first.returncode == 0, shown(first)
    assert passed(first) == ALL_CHECKS, shown(first)
    assert "installed glusterfs-server" in first.stdout, shown(first)  # by apt, from the local repo
    second = installed.pytest(work, HOSTS, "--apply", "--replace-hosts-conflicts", home=home, env=env)
    assert second.returncode == 0, shown(second)
    assert changes(second) == 0, shown(second)
    check = installed.pytest(work, HOSTS, "--html=report.html", "--self-contained-html",
                             home=home, env=env)
    assert check.returncode == 0, shown(check)
    assert passed(check) == ALL_CHECKS, shown(check)
    assert f"HEALTHY: {ALL_CHECKS} checks passed" in check.stdout, shown(check)
    assert 'id="gc-summary"' in (work / "report.html").read_text()


@pytest.mark.timeout(600)
def test_home_ssh_config_and_agent_converge_fresh_pi_nodes(pi_nodes: Nodes, installed: Installed,
                                                          work: Path, tmp_path: Path) -> None:
    cluster = pi_nodes()
    home = tmp_path / "home"
    ssh_dir = write_home(home, cluster, USER_CONFIG + host_names(cluster))
    key = fingerprint(cluster.config.client_key.with_suffix(".pub"))
    logs = SshdLogs(cluster).mark()
    with running_agent() as agent:
        added = simcluster("agent-add", env={"SSH_AUTH_SOCK": agent, "PATH": "/usr/bin:/bin"})
        assert added.returncode == 0, added.stderr
        converge_and_check(installed, work, home, agent)
        # The user's own testinfra test in that directory: same nodes, same login, same ids.
        (work / "test_where.py").write_text(WHERE_TEST)
        mine = installed.pytest(work, HOSTS, "-s", "-v", home=home, env={"SSH_AUTH_SOCK": agent})
    assert mine.returncode == 0, shown(mine)
    assert passed(mine) == ALL_CHECKS + len(NODES), shown(mine)
    for node in NODES:
        assert f"test_where.py::test_where[{node}] " in mine.stdout, shown(mine)
    assert where(mine.stdout) == {n: (n, "root", "pi") for n in NODES}, shown(mine)
    # Every node saw pi log in from the controller with the agent's key, and root never.
    for node, logins in logs.logins().items():
        assert logins == {Login("pi", CONTROLLER, key)}, (node, logins)
    assert sorted(p.name for p in home.iterdir()) == [".ssh"]  # nothing else written to HOME
    assert sorted(p.name for p in ssh_dir.iterdir()) == ["config", "known_hosts"]


# ----- testinfra's options and Ansible inventories: where did the commands run? ------------------

def where_run(installed: Installed, work: Path, *args: str, home: Path,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Only the user's test (a test path is named: the checks are not supplied), verbose."""
    (work / "test_where.py").write_text(WHERE_TEST)
    result = installed.pytest(work, *args, "-s", "-v", "test_where.py", home=home, env=env,
                              timeout=120)
    assert result.returncode == 0, shown(result)
    return result


@pytest.mark.timeout(180)
def test_ssh_config_option_is_read_instead_of_the_home_config(pi_nodes: Nodes, installed: Installed,
                                                             work: Path, tmp_path: Path) -> None:
    """--ssh-config FILE, as `ssh -F`: the cluster's own file is read, ~/.ssh/config is not (it
    says User root, which the nodes refuse), and no agent is needed (the file names the key)."""
    cluster = pi_nodes()
    home = tmp_path / "home"
    write_home(home, cluster, "Host rpi*\n    User root\n" + host_names(cluster))
    logs = SshdLogs(cluster).mark()
    result = where_run(installed, work, HOSTS, f"--ssh-config={cluster.config.ssh_config}", home=home)
    assert where(result.stdout) == {n: (n, "root", "pi") for n in NODES}, shown(result)
    key = fingerprint(cluster.config.client_key.with_suffix(".pub"))
    for node, logins in logs.logins().items():
        assert logins == {Login("pi", CONTROLLER, key)}, (node, logins)
        assert "ROOT LOGIN REFUSED" not in logs.text(node)


@pytest.mark.timeout(180)
def test_identity_file_option_logs_in_with_that_key(pi_nodes: Nodes, installed: Installed,
                                                   work: Path, tmp_path: Path) -> None:
    cluster = pi_nodes()
    key, key_fingerprint = new_key(tmp_path, "id_operator")
    authorize(cluster, "pi", key.with_suffix(".pub"))
    home = tmp_path / "home"
    write_home(home, cluster, USER_CONFIG + host_names(cluster))
    logs = SshdLogs(cluster).mark()
    result = where_run(installed, work, HOSTS, f"--ssh-identity-file={key}", home=home)
    assert where(result.stdout) == {n: (n, "root", "pi") for n in NODES}, shown(result)
    for node, logins in logs.logins().items():
        assert logins == {Login("pi", CONTROLLER, key_fingerprint)}, (node, logins)


@pytest.mark.timeout(180)
def test_sudo_user_option_runs_commands_as_that_user(pi_nodes: Nodes, installed: Installed,
                                                    work: Path, tmp_path: Path) -> None:
    """--sudo-user on top of the spec simcluster wrote (user pi, sudo): the command line wins."""
    cluster = pi_nodes()
    add_user(cluster, "ops")
    home = tmp_path / "home"
    home.mkdir()
    logs = SshdLogs(cluster).mark()
    result = where_run(installed, work, f"--spec={cluster.config.spec_file}", "--sudo-user=ops",
                       home=home)
    assert where(result.stdout) == {n: (n, "ops", "pi") for n in NODES}, shown(result)
    key = fingerprint(cluster.config.client_key.with_suffix(".pub"))
    for node, logins in logs.logins().items():
        assert logins == {Login("pi", CONTROLLER, key)}, (node, logins)


@pytest.mark.timeout(180)
def test_ansible_inventory_group_gives_the_nodes_and_their_login(pi_nodes: Nodes, installed: Installed,
                                                                work: Path, tmp_path: Path) -> None:
    cluster = pi_nodes()
    (work / "hosts.ini").write_text(inventory(cluster.config))
    home = tmp_path / "home"
    write_home(home, cluster, "")  # known_hosts only: the inventory says how to log in
    logs = SshdLogs(cluster).mark()
    result = where_run(installed, work, "--ansible-inventory=hosts.ini", "--hosts=ansible://gluster",
                       home=home)
    for node in NODES:
        assert f"test_where.py::test_where[{node}] WHERE {node} " in result.stdout, shown(result)
    assert where(result.stdout) == {n: (n, "root", "pi") for n in NODES}, shown(result)
    key = fingerprint(cluster.config.client_key.with_suffix(".pub"))
    for node, logins in logs.logins().items():
        assert logins == {Login("pi", CONTROLLER, key)}, (node, logins)


def inventory(config: SimConfig) -> str:
    """An INI inventory: the nodes in group `gluster` with their login, another group beside it."""
    hosts = "".join(f"{n} ansible_host={config.address(i)}\n" for i, n in enumerate(config.names))
    return (f"[gluster]\n{hosts}\n[gluster:vars]\nansible_user=pi\nansible_become=true\n"
            f"ansible_ssh_private_key_file={config.client_key}\n\n"
            "[monitoring]\ngrafana ansible_host=10.0.1.200\n")


# ----- what goes wrong says so: one message per node, naming it and the fix; no traceback --------

# An error's header, its node and its body (up to the next header: `_+ ... _+` or `=+ ... =+`).
_ERROR = re.compile(r"^_+ ERROR at setup of \S+\[(\S+)\] _+\n(.*?)(?=^_+ .* _+$|^=+ )", re.M | re.S)


def one_message_per_node(result: subprocess.CompletedProcess[str], nodes: list[str]) -> dict[str, str]:
    """Node -> the one-line message that every one of its checks failed with."""
    assert result.returncode == 1, shown(result)
    assert "Traceback" not in result.stdout + result.stderr, shown(result)
    found: dict[str, set[str]] = {}
    for node, body in _ERROR.findall(result.stdout):
        found.setdefault(node, set()).add(body.strip())
    messages = {}
    for node in nodes:
        assert len(found.get(node, ())) == 1, (node, found.get(node), shown(result))
        (messages[node],) = found[node]
        assert "\n" not in messages[node], messages[node]
    return messages


@pytest.mark.timeout(180)
def test_a_wrong_key_is_named_with_the_fix_for_each_node(pi_nodes: Nodes, installed: Installed,
                                                        work: Path, tmp_path: Path) -> None:
    cluster = pi_nodes()
    key, key_fingerprint = new_key(tmp_path, "id_wrong")
    home = tmp_path / "home"
    write_home(home, cluster, USER_CONFIG + host_names(cluster))
    result = installed.pytest(work, HOSTS, f"--ssh-identity-file={key}", home=home, timeout=120)
    for node, message in one_message_per_node(result, NODES).items():
        address = cluster.config.address(NODES.index(node))
        assert (f"{node} ({address}:22) unreachable: authentication failed for pi@{address} with keys: "
                f"{key} (ssh-ed25519 {key_fingerprint})") in message
        assert f"fix: add one of these public keys to ~pi/.ssh/authorized_keys on {node}" in message
    assert "CANNOT-CHECK: no node reachable (rpi0, rpi1, rpi2, rpi3)" in result.stdout, shown(result)


@pytest.mark.timeout(180)
def test_an_unknown_host_key_is_named_with_the_command_that_adds_it(pi_nodes: Nodes, installed: Installed,
                                                                   work: Path, tmp_path: Path) -> None:
    cluster = pi_nodes()
    home = tmp_path / "home"
    known = write_home(home, cluster, USER_CONFIG + host_names(cluster)) / "known_hosts"
    known.write_text("".join(line for line in known.read_text().splitlines(keepends=True)
                             if not line.startswith("rpi2,")))
    offered = fingerprint(cluster.config.node_dir("rpi2") / "upper/etc/ssh/ssh_host_ed25519_key.pub")
    key = cluster.config.client_key
    result = installed.pytest(work, HOSTS, f"--ssh-identity-file={key}", home=home, timeout=120)
    message = one_message_per_node(result, ["rpi2"])["rpi2"]
    assert f"rpi2 (10.0.1.2:22) unreachable: unknown host key ssh-ed25519 {offered} " in message
    assert f"then add it: ssh-keyscan -p 22 10.0.1.2 >> {known}" in message
    assert "DEGRADED: rpi2 is unreachable: unknown host key" in result.stdout, shown(result)
    for index, other in enumerate(NODES):  # the others' keys are known: they are reached
        if other != "rpi2":
            assert f"{other} ({cluster.config.address(index)}:22) unreachable" not in result.stdout


SUDO_CASES = {  # user -> (groups, what the message says)
    "nosudo": ("", "user nosudo may not use sudo on {node} without a password: most likely it is "
                   "not in the sudoers file at all"),
    "askpw": ("sudo", "sudo on {node} needs a password: user askpw is in group sudo, whose sudo rule "
                      "asks for one"),
}


@pytest.mark.parametrize("user", list(SUDO_CASES))
@pytest.mark.timeout(180)
def test_sudo_that_cannot_be_used_is_named_with_the_fix(user: str, pi_nodes: Nodes, installed: Installed,
                                                        work: Path, tmp_path: Path) -> None:
    """A login that works, as a user whose sudo asks for a password (Debian's %sudo rule) or who
    has no sudo rule at all: `sudo -n` fails at once, never waits for a password."""
    groups, expected = SUDO_CASES[user]
    cluster = pi_nodes()
    key = cluster.config.client_key
    add_user(cluster, user, groups=groups, login_key=key.with_suffix(".pub"))
    home = tmp_path / "home"
    write_home(home, cluster, host_names(cluster))
    logs = SshdLogs(cluster).mark()
    result = installed.pytest(work, f"--hosts=ssh://{user}@rpi0..rpi3", f"--ssh-identity-file={key}",
                              home=home, timeout=120)
    for node, message in one_message_per_node(result, NODES).items():
        assert expected.format(node=node) in message
        assert (f"fix: as root on the node: echo '{user} ALL=(ALL) NOPASSWD: ALL' > "
                f"/etc/sudoers.d/010_{user}-nopasswd") in message
    # The nodes answer: the verdict says sudo, not "unreachable", and each node's cause is sudo's.
    assert ("CANNOT-CHECK: no node usable (rpi0, rpi1, rpi2, rpi3): sudo cannot be used on rpi0, rpi1, "
            "rpi2, rpi3") in result.stdout, shown(result)
    assert "[sudo-refused:rpi0]" in result.stdout, shown(result)
    assert "unreachable" not in result.stdout, shown(result)
    for node, logins in logs.logins().items():  # the login itself worked
        assert logins == {Login(user, CONTROLLER, fingerprint(key.with_suffix(".pub")))}, (node, logins)


@pytest.mark.parametrize(("args", "message"), [
    (("--ansible-inventory=hosts.ini", "--hosts=ansible://nosuch"),
     "ERROR: --ansible-inventory hosts.ini: no group or host 'nosuch' (groups: gluster, monitoring)"),
    (("--hosts=docker://c1",),
     "ERROR: --hosts: host 'docker://c1': the docker:// connection is not supported - gluster-verify "
     "reaches nodes over SSH only: write ssh://, paramiko:// or no scheme (e.g. pi@rpi0)"),
    (("--connection=docker", HOSTS),
     "ERROR: --connection=docker: gluster-verify reaches nodes over SSH only (--connection=paramiko "
     "or ssh, or leave it out)"),
], ids=["unknown-inventory-group", "docker-host", "docker-connection"])
@pytest.mark.timeout(120)
def test_usage_errors_name_the_value_and_what_works(args: tuple[str, ...], message: str,
                                                    installed: Installed, work: Path,
                                                    tmp_path: Path) -> None:
    (work / "hosts.ini").write_text(inventory(SimConfig()))
    home = tmp_path / "home"
    home.mkdir()
    result = installed.pytest(work, *args, home=home, timeout=60)
    assert result.returncode == 4, shown(result)  # pytest's usage error
    assert result.stderr.strip() == message, shown(result)
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.timeout(600)
def test_through_a_bastion_only_proxyjump_reaches_the_others(pi_nodes: Nodes, installed: Installed,
                                                            work: Path, tmp_path: Path) -> None:
    cluster = pi_nodes(bastion=True)
    home = tmp_path / "home"
    ssh_dir = write_home(home, cluster, USER_CONFIG + BEHIND_RPI0 + host_names(cluster))
    key = fingerprint(cluster.config.client_key.with_suffix(".pub"))
    logs = SshdLogs(cluster).mark()
    with running_agent() as agent:
        added = simcluster("agent-add", env={"SSH_AUTH_SOCK": agent, "PATH": "/usr/bin:/bin"})
        assert added.returncode == 0, added.stderr
        # Without the jump, rpi1 refuses this machine (OpenSSH's own client, the user's files).
        direct = subprocess.run(
            ["ssh", "-F", str(ssh_dir / "config"), "-o", f"UserKnownHostsFile={ssh_dir / 'known_hosts'}",
             "-o", "BatchMode=yes", "-o", "ProxyJump=none", "rpi1", "true"],
            env={"SSH_AUTH_SOCK": agent, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
            timeout=30, check=False)
        assert direct.returncode == 255, direct
        assert "Permission denied (publickey)" in direct.stderr, direct.stderr
        converge_and_check(installed, work, home, agent)
    assert f"User pi from {CONTROLLER} not allowed because listed in DenyUsers" in logs.text("rpi1")
    logins = logs.logins()
    assert logins["rpi0"] == {Login("pi", CONTROLLER, key)}, logins
    for node in NODES[1:]:  # only ever through rpi0
        assert logins[node] == {Login("pi", cluster.config.address(0), key)}, (node, logins)
