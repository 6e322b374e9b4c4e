"""The simulated cluster's Python API: bring nodes up and down, inject faults, run commands in nodes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from simcluster import network, provision
from simcluster.config import SimConfig
from simcluster.host import HostCommandError, run

NODE_INIT = Path(__file__).with_name("node_init.py")
REQUIRED_TOOLS = ("ip", "unshare", "nsenter", "mount", "ssh-keygen", "/usr/sbin/sshd",
                  "/usr/sbin/glusterd", "sudo", "ping")
BOOT_TIMEOUT = 30.0


class SimClusterError(RuntimeError):
    """Anything that stops the simulated cluster from doing what was asked; says what to do."""


@dataclass(frozen=True)
class NodeState:
    name: str
    address: str
    powered: bool
    link_up: bool
    ssh_open: bool
    glusterd_running: bool

    @property
    def summary(self) -> str:
        if not self.powered:
            return "powered off"
        parts = ["up", "link up" if self.link_up else "NETWORK CUT",
                 "sshd ok" if self.ssh_open else "sshd NOT answering",
                 "glusterd running" if self.glusterd_running else "glusterd stopped"]
        return ", ".join(parts)


def _is_node_init(pid: int, node_dir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(NODE_INIT).encode() in cmdline and str(node_dir).encode() in cmdline


def _all_node_inits(state_dir: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if str(NODE_INIT).encode() in cmdline and str(state_dir).encode() in cmdline \
                    and b"unshare" not in cmdline.split(b"\0")[0]:
                pids.append(int(proc.name))
    return pids


def _tcp_open(address: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


class SimCluster:
    """A cluster of `config.count` simulated nodes. Every method is safe to call in any state."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self._launchers: dict[str, subprocess.Popen[bytes]] = {}

    # ----- discovery -------------------------------------------------------------------------
    @classmethod
    def from_state(cls, state_dir: Path | None = None) -> SimCluster:
        """The cluster recorded in `state_dir` (default: the default state directory)."""
        probe = SimConfig() if state_dir is None else SimConfig(state_dir=state_dir)
        try:
            saved = json.loads(probe.state_file.read_text())
        except FileNotFoundError:
            raise SimClusterError(
                f"no simulated cluster is recorded in {probe.state_dir}: run `simcluster up` first"
            ) from None
        return cls(SimConfig(prefix=saved["prefix"], count=saved["count"],
                             state_dir=probe.state_dir, disk_size_mb=saved["disk_size_mb"],
                             login_user=saved["login_user"]))

    def _state(self) -> dict[str, int]:
        try:
            return json.loads(self.config.state_file.read_text()).get("pids", {})
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _save_state(self, pids: dict[str, int]) -> None:
        c = self.config
        c.state_file.write_text(json.dumps({
            "prefix": c.prefix, "count": c.count, "disk_size_mb": c.disk_size_mb,
            "login_user": c.login_user, "pids": pids,
        }, indent=2))

    def index(self, name: str) -> int:
        try:
            return self.config.names.index(name)
        except ValueError:
            raise SimClusterError(
                f"no node {name!r} in the simulated cluster (nodes: {', '.join(self.config.names)})"
            ) from None

    def init_pid(self, name: str) -> int | None:
        pid = self._state().get(name)
        return pid if pid and _is_node_init(pid, self.config.node_dir(name)) else None

    # ----- lifecycle -------------------------------------------------------------------------
    def _check_prerequisites(self) -> None:
        if os.geteuid() != 0:
            raise SimClusterError("the simulated cluster needs root (namespaces, links, mounts)")
        missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
        if missing:
            raise SimClusterError(
                "missing on this machine: " + ", ".join(missing) + ". Install the Debian packages "
                "with `bin/bootstrap` (glusterfs-server openssh-server iproute2 sudo iputils-ping ...)"
            )

    def up(self) -> list[str]:
        """Bring every node up from nothing. Returns notes on leftovers cleaned on the way."""
        self._check_prerequisites()
        notes = []
        if self.leftovers():
            if self.is_running():
                raise SimClusterError(
                    f"a simulated cluster is already up ({', '.join(self.config.names)}); "
                    "run `simcluster down` first to replace it"
                )
            notes.append("cleaned leftovers of an earlier run: " + "; ".join(self.leftovers()))
            self.down()
        in_use = network.addresses_in_use(self.config) + network.routes_in_use(self.config)
        if in_use:
            raise SimClusterError(
                "refusing to start: the simulated cluster's range 10.0.0.0/16 is already in use on "
                "this machine (" + "; ".join(in_use) + "). Free it, or run on another machine."
            )
        c = self.config
        c.state_dir.mkdir(parents=True, exist_ok=True)
        c.state_dir.chmod(0o755)
        pubkey = provision.ensure_client_key(c)
        uid = provision.free_uid(Path("/etc/passwd").read_text())
        try:
            network.create_bridge(c)
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda i: self._create_node(i, pubkey, uid), range(c.count)))
            provision.write_client_files(c)
            provision.write_spec(c)
            self._save_state({})
            self._boot(c.names)
        except BaseException:
            self.down()
            raise
        return notes

    def _create_node(self, index: int, pubkey: str, uid: int) -> None:
        network.create_node_network(self.config, index)
        provision.provision_node(self.config, index, pubkey, uid)

    def _boot(self, names: Sequence[str]) -> None:
        for name in names:
            network.set_node_link(self.config, name, up=True)  # powered on: its NIC answers again
            node_dir = self.config.node_dir(name)
            for marker in ("booted", "boot-failed"):
                (node_dir / marker).unlink(missing_ok=True)
            log = (node_dir / "console.log").open("ab")
            self._launchers[name] = subprocess.Popen(
                ["ip", "netns", "exec", self.config.netns(name), "unshare", "--mount", "--uts",
                 "--ipc", "--pid", "--fork", "--mount-proc", "--propagation", "private",
                 sys.executable, str(NODE_INIT), name, str(node_dir)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )
            log.close()
        pids = self._state()
        for name in names:
            pids[name] = self._wait_booted(name)
        self._save_state(pids)

    def _wait_booted(self, name: str) -> int:
        node_dir = self.config.node_dir(name)
        launcher = self._launchers[name]
        deadline = time.monotonic() + BOOT_TIMEOUT
        address = self.config.address(self.index(name))
        while time.monotonic() < deadline:
            if (node_dir / "boot-failed").exists() or launcher.poll() is not None:
                console = (node_dir / "console.log").read_text(errors="replace")[-2000:]
                raise SimClusterError(f"node {name} failed to boot:\n{console}")
            if (node_dir / "booted").exists() and _tcp_open(address, 22):
                children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text()
                return int(children.split()[0])
            time.sleep(0.05)
        raise SimClusterError(f"node {name} did not boot within {BOOT_TIMEOUT:.0f} s "
                              f"(see {node_dir / 'console.log'})")

    def down(self) -> None:
        """Power every node off and remove every trace. Safe at any time, also after a crash."""
        pids = _all_node_inits(self.config.state_dir)
        for pid in pids:
            _kill(pid)
        self._reap_launchers()
        network.remove_all()
        self._unmount_all()
        if self.config.nodes_dir.exists():
            shutil.rmtree(self.config.nodes_dir)
        for path in (self.config.state_file, self.config.spec_file,
                     self.config.ssh_config, self.config.known_hosts):
            path.unlink(missing_ok=True)

    def _reap_launchers(self) -> None:
        for launcher in self._launchers.values():
            try:
                launcher.wait(timeout=10)
            except subprocess.TimeoutExpired:
                launcher.kill()
                launcher.wait(timeout=10)
        self._launchers.clear()

    def _unmount_all(self) -> None:
        prefix = str(self.config.state_dir) + "/"
        mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
        for target in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
            run(["umount", "-l", target], check=False)

    def leftovers(self) -> list[str]:
        found = []
        if network.leftover_netns():
            found.append("network namespaces " + " ".join(network.leftover_netns()))
        if network.leftover_links():
            found.append("links " + " ".join(network.leftover_links()))
        if inits := _all_node_inits(self.config.state_dir):
            found.append(f"{len(inits)} node processes")
        prefix = str(self.config.state_dir) + "/"
        mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
        if any(m.startswith(prefix) for m in mounts):
            found.append("mounts under " + str(self.config.state_dir))
        if self.config.state_file.exists():
            found.append("state file " + str(self.config.state_file))
        return found

    def is_running(self) -> bool:
        return self.config.state_file.exists() and all(
            self.init_pid(name) for name in self.config.names
        )

    # ----- faults ----------------------------------------------------------------------------
    def stop_node(self, name: str) -> None:
        """Power a node off (SIGKILL its init): every process of it dies, its disk survives."""
        self.index(name)
        pid = self.init_pid(name)
        if pid:
            _kill(pid)
        launcher = self._launchers.pop(name, None)
        if launcher:
            launcher.wait(timeout=10)
        # The named network namespace outlives the node's processes: without this, the kernel of a
        # "powered-off" node still answered ARP, ping and TCP (an instant RST instead of a timeout).
        network.set_node_link(self.config, name, up=False)

    def start_node(self, name: str) -> None:
        """Power a node on; glusterd comes back if it was enabled, as systemd would start it."""
        self.index(name)
        if self.init_pid(name):
            return
        self._boot([name])

    def partition(self, name: str) -> None:
        """Cut the node's network cable (its link goes down; the node itself keeps running)."""
        network.set_link(self.config, self.index(name), up=False)

    def unpartition(self, name: str) -> None:
        network.set_link(self.config, self.index(name), up=True)

    def kill_glusterd(self, name: str, *, bricks: bool = False) -> None:
        """Kill only the node's glusterd (and, with `bricks`, its brick processes) with SIGKILL."""
        names = "glusterd|glusterfsd" if bricks else "glusterd"
        # Wait until they are gone (reaped by the node's init), so callers see the fault at once.
        self.exec(name, ["sh", "-c", f"pkill -KILL -x '{names}'; i=0; "
                         f"while pgrep -x '{names}' >/dev/null && [ $i -lt 100 ]; do "
                         "sleep 0.05; i=$((i+1)); done"], check=False)

    # ----- inspection ------------------------------------------------------------------------
    def exec(self, name: str, command: Sequence[str], *, timeout: float = 60, check: bool = True,
             input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run `command` inside the node (all of its namespaces) as root."""
        pid = self.init_pid(name)
        if pid is None:
            raise SimClusterError(f"node {name} is powered off: `simcluster start {name}` first")
        args = ["nsenter", "-t", str(pid), "-n", "-m", "-u", "-i", "-p", "--wd=/root", "--",
                *command]
        try:
            return run(args, timeout=timeout, check=check, input_text=input_text)
        except HostCommandError as exc:
            raise SimClusterError(f"on {name}: {exc}") from None

    def status(self) -> list[NodeState]:
        states = []
        for index, name in enumerate(self.config.names):
            powered = self.init_pid(name) is not None
            address = self.config.address(index)
            link = network.link_is_up(self.config, index)
            glusterd = powered and self.exec(
                name, ["pgrep", "-x", "glusterd"], check=False).returncode == 0
            states.append(NodeState(name, address, powered, link,
                                    powered and link and _tcp_open(address, 22), glusterd))
        return states


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                break
        except OSError:
            break
        time.sleep(0.02)
