"""The simulated cluster's Python API: bring nodes up and down, inject faults, run commands in nodes."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from simcluster import cpu_cap, latency, network, provision, repo_server, sshd_log, usb
from simcluster.config import SimConfig
from simcluster.host import HostCommandError, run
from simcluster.images import ImageBuildError, Progress, ensure_image, repo_dir
from simcluster.processes import NODE_INIT, all_node_inits, has_text, is_node_init, kill_and_wait
from simcluster.recipes import ImageRecipe

# On the host. The nodes bring their own sshd, glusterd, sudo... from their images.
REQUIRED_TOOLS = ("ip", "unshare", "nsenter", "mount", "pivot_root", "chroot", "ssh-keygen",
                  "losetup", "mkfs.ext4")
BOOT_TIMEOUT = 30.0
NODE_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class SimClusterError(RuntimeError):
    """Anything that stops the simulated cluster from doing what was asked; says what to do."""


def _print_progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class NodeState:
    name: str
    address: str
    powered: bool
    link_up: bool
    ssh_open: bool
    glusterd_running: bool
    suite: str = ""
    usb: str = ""  # "mounted", "plugged, not mounted", "unplugged"

    @property
    def summary(self) -> str:
        if not self.powered:
            return "powered off"
        parts = [f"up ({self.suite})", "link up" if self.link_up else "NETWORK CUT",
                 "sshd ok" if self.ssh_open else "sshd NOT answering",
                 "glusterd running" if self.glusterd_running else "glusterd stopped",
                 f"USB stick {self.usb}"]
        return ", ".join(parts)


def _tcp_open(address: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


class SimCluster:
    """A cluster of `config.count` simulated nodes. Every method is safe to call in any state."""

    def __init__(self, config: SimConfig | None = None, progress: Progress | None = None) -> None:
        self.config = config or SimConfig()
        self.progress = progress or _print_progress  # image builds report here
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
                             login_user=saved["login_user"], os=saved.get("os", "bookworm"),
                             variant=saved.get("variant", "full"), fs=saved.get("fs", "ext4"),
                             cache_dir=Path(saved.get("cache_dir", probe.cache_dir)),
                             latency_ms=saved.get("latency_ms", 0.0),
                             jitter_ms=saved.get("jitter_ms", 0.0), cpu=saved.get("cpu"),
                             bastion=saved.get("bastion", False)))

    def _state(self) -> dict[str, int]:
        try:
            pids: dict[str, int] = json.loads(self.config.state_file.read_text()).get("pids", {})
            return pids
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _save_state(self, pids: dict[str, int]) -> None:
        c = self.config
        c.state_file.write_text(json.dumps({
            "prefix": c.prefix, "count": c.count, "disk_size_mb": c.disk_size_mb,
            "login_user": c.login_user, "os": c.os, "variant": c.variant, "fs": c.fs,
            "cache_dir": str(c.cache_dir), "bastion": c.bastion, "pids": pids,
            "latency_ms": c.latency_ms, "jitter_ms": c.jitter_ms, "cpu": c.cpu,
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
        return pid if pid and is_node_init(pid, self.config.node_dir(name)) else None

    # ----- lifecycle -------------------------------------------------------------------------
    def _check_prerequisites(self) -> None:
        if os.geteuid() != 0:
            raise SimClusterError("the simulated cluster needs root (namespaces, links, mounts)")
        tools = (*REQUIRED_TOOLS, "mkfs.xfs") if self.config.fs == "xfs" else REQUIRED_TOOLS
        missing = [tool for tool in tools if shutil.which(tool) is None]
        if missing:
            raise SimClusterError(
                "missing on this machine: " + ", ".join(missing) + ". Install the Debian packages "
                "with `bin/bootstrap` (iproute2 util-linux openssh-client e2fsprogs xfsprogs ...)"
            )

    def _ensure_images(self) -> dict[str, Path]:
        """Suite -> the root filesystem its nodes boot (built and cached on first use)."""
        c = self.config
        images = {}
        for suite in sorted(set(c.suites.values())):
            recipe = ImageRecipe(suite, c.variant, user=c.login_user)
            try:
                images[suite] = ensure_image(recipe, c.cache_dir, self.progress)
            except ImageBuildError as exc:
                raise SimClusterError(str(exc)) from None
        return images

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
        images = self._ensure_images()
        c.state_dir.mkdir(parents=True, exist_ok=True)
        c.state_dir.chmod(0o755)
        pubkey = provision.ensure_client_key(c)
        try:
            network.size_neighbour_table(c.count, self._neighbour_saved)
            network.create_bridge(c)
            if c.cpu is not None:
                cpu_cap.create(c.names, c.cpu)
            repo_server.start(c.state_dir, {suite: repo_dir(c.cache_dir, ImageRecipe(suite, c.variant))
                                            for suite in images})
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda i: self._create_node(i, pubkey, images), range(c.count)))
            provision.write_client_files(c)
            provision.write_spec(c)
            if c.latency_ms:
                latency.apply(c, c.latency_ms, c.jitter_ms)
            self._save_state({})
            self._boot(c.names)
        except BaseException:
            self.down()
            raise
        return notes

    @property
    def _neighbour_saved(self) -> Path:
        return self.config.state_dir / "neighbour-table.json"

    def _create_node(self, index: int, pubkey: str, images: dict[str, Path]) -> None:
        name = self.config.names[index]
        network.create_node_network(self.config, index)
        provision.provision_node(self.config, index, pubkey, images[self.config.suites[name]])

    def _usb_image(self, name: str) -> Path:
        return self.config.node_dir(name) / "usb.img"

    def _usb_unplugged_marker(self, name: str) -> Path:
        return self.config.node_dir(name) / "usb-unplugged"

    def _write_boot_settings(self, name: str) -> None:
        """boot.json for the node init: name, image, and the USB stick's loop device if plugged."""
        node_dir = self.config.node_dir(name)
        stick = self._usb_image(name)
        if self._usb_unplugged_marker(name).exists():
            usb.detach(stick)  # powered off, so nothing holds it
            device = None
        else:
            device = usb.attach(stick)
        node = json.loads((node_dir / "node.json").read_text())
        (node_dir / "boot.json").write_text(json.dumps({
            "name": name, "rootfs": node["rootfs"], "usb_device": device,
            "host_uts": os.readlink("/proc/self/ns/uts"),
            "sshd_args": list(sshd_log.SSHD_ARGS),  # sshd's own log, read by benchmarks
        }) + "\n")

    def _boot(self, names: Sequence[str]) -> None:
        for name in names:
            network.set_node_link(self.config, name, up=True)  # powered on: its NIC answers again
            node_dir = self.config.node_dir(name)
            for marker in ("booted", "boot-failed"):
                (node_dir / marker).unlink(missing_ok=True)
            self._write_boot_settings(name)
            log = (node_dir / "console.log").open("ab")
            # --uts before anything sets a hostname: in the host's UTS namespace it renames the host.
            cap = cpu_cap.launch_prefix(name, self.config.cpu)  # [] unless --cpu
            self._launchers[name] = subprocess.Popen(
                [*cap, "ip", "netns", "exec", self.config.netns(name), "unshare", "--mount", "--uts",
                 "--ipc", "--pid", "--fork", "--mount-proc", "--propagation", "private",
                 sys.executable, str(NODE_INIT), str(node_dir)],
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
            if has_text(node_dir / "boot-failed") or launcher.poll() is not None:
                console = (node_dir / "console.log").read_text(errors="replace")[-2000:]
                raise SimClusterError(f"node {name} failed to boot:\n{console}")
            if has_text(node_dir / "booted") and _tcp_open(address, 22):
                children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text()
                return int(children.split()[0])
            time.sleep(0.05)
        raise SimClusterError(f"node {name} did not boot within {BOOT_TIMEOUT:.0f} s "
                              f"(see {node_dir / 'console.log'})")

    def down(self) -> None:
        """Power every node off and remove every trace. Safe at any time, also after a crash."""
        pids = all_node_inits(self.config.state_dir)
        for pid in pids:
            kill_and_wait(pid)
        self._reap_launchers()
        cpu_cap.remove()
        latency.stop(self.config.state_dir)  # before the namespaces its listeners live in
        repo_server.stop(self.config.state_dir)
        network.remove_all()
        self._unmount_all()
        for _device, image in usb.leftover_devices(self.config.nodes_dir):
            try:
                usb.detach(Path(image))
            except RuntimeError as exc:
                raise SimClusterError(f"{exc}; run `simcluster down` again in a moment") from None
        network.restore_neighbour_table(self._neighbour_saved)
        for directory in (self.config.nodes_dir, self.config.state_dir / "repo"):
            if directory.exists():
                shutil.rmtree(directory)
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
        if inits := all_node_inits(self.config.state_dir):
            found.append(f"{len(inits)} node processes")
        prefix = str(self.config.state_dir) + "/"
        mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
        if any(m.startswith(prefix) for m in mounts):
            found.append("mounts under " + str(self.config.state_dir))
        if sticks := usb.leftover_devices(self.config.nodes_dir):
            found.append("loop devices " + " ".join(device for device, _ in sticks))
        if repo_server.server_pids(self.config.state_dir):
            found.append("the local package repository server")
        if latency.relay_pids(self.config.state_dir):
            found.append("the latency relay")
        if cpu_cap.leftover_groups():
            found.append("CPU-cap cgroups")
        if self._neighbour_saved.exists():
            found.append("raised neighbour-table thresholds")
        if self.config.state_file.exists():
            found.append("state file " + str(self.config.state_file))
        return found

    def is_running(self) -> bool:
        return self.config.state_file.exists() and all(
            self.init_pid(name) for name in self.config.names
        )

    def set_latency(self, latency_ms: float, jitter_ms: float = 0.0) -> None:
        """Model another latency on the running cluster (0: none): the relay is replaced (SSH
        connections through the old one end) and the client files point at the new one, or
        straight at port 22 again."""
        if not self.is_running():
            raise SimClusterError("no simulated cluster is up: `simcluster up` first")
        self.config = dataclasses.replace(self.config, latency_ms=latency_ms, jitter_ms=jitter_ms)
        latency.apply(self.config, latency_ms, jitter_ms)
        self._save_state(self._state())

    # ----- faults ----------------------------------------------------------------------------
    def stop_node(self, name: str) -> None:
        """Power a node off (SIGKILL its init): every process of it dies, its disk survives."""
        self.index(name)
        pid = self.init_pid(name)
        if pid:
            kill_and_wait(pid)
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

    def usb_unplug(self, name: str) -> None:
        """Pull the node's USB stick: its /dev/sda1 disappears now; a mounted /mnt/usb stays until
        the node's next boot, which then finds no stick (/mnt/usb a plain directory on the root
        filesystem). `stop_node` + `start_node` is that reboot."""
        self.index(name)
        self._usb_unplugged_marker(name).touch()
        if self.init_pid(name):
            self.exec(name, ["rm", "-f", "/dev/sda1"])
        else:
            usb.detach(self._usb_image(name))

    def usb_plug(self, name: str) -> None:
        """Plug the stick back in: /dev/sda1 is there at once (`mount /mnt/usb` mounts it, as on a
        Pi) and the next boot mounts it through /etc/fstab."""
        self.index(name)
        self._usb_unplugged_marker(name).unlink(missing_ok=True)
        if self.init_pid(name):
            rdev = os.stat(usb.attach(self._usb_image(name))).st_rdev
            self.exec(name, ["sh", "-c", "[ -e /dev/sda1 ] || mknod -m 660 /dev/sda1 b "
                             f"{os.major(rdev)} {os.minor(rdev)}"])

    def usb_state(self, name: str) -> str:
        if self._usb_unplugged_marker(name).exists():
            return "unplugged"
        if self.init_pid(name) and self.exec(name, ["mountpoint", "-q", "/mnt/usb"],
                                             check=False).returncode == 0:
            return "mounted"
        return "plugged, not mounted"

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
        # -r -w: the node's own root and directory (after its pivot_root; a path given to --wd would
        # be the host's); env -i: none of the host's variables.
        args = ["nsenter", "-t", str(pid), "-n", "-m", "-u", "-i", "-p", "-r", "-w", "--",
                "env", "-i", "--chdir=/root", NODE_PATH, "HOME=/root", "USER=root", "LOGNAME=root",
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
                                    powered and link and _tcp_open(address, 22), glusterd,
                                    self.config.suites[name], self.usb_state(name)))
        return states
