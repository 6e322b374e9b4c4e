"""Per-process state of a verification run: spec, SSH connections, reachability, gathered facts.

Pure library (no pytest): the pytest plugin, the setup steps' executor and the benchmarks all
observe the cluster through one `GlusterRun`, so a fact is gathered once and read by everyone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import ipaddress
import json
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from glustercheck.errors import GlusterCheckError, RemoteError, SudoError, UnreachableError
from glustercheck.facts import (
    ClusterFacts,
    NodeFacts,
    gather_cluster_facts,
    gather_node_facts,
    has_state,
    node_script,
    parse_op_versions,
)
from glustercheck.remote import tcp
from glustercheck.remote.gluster import ClusterLock, gluster_command
from glustercheck.remote.limits import ensure_open_files
from glustercheck.remote.resolver import Resolver
from glustercheck.remote.result import CommandResult
from glustercheck.remote.targets import ConnectOptions, SshTarget
from glustercheck.spec import ClusterSpec, Node

if TYPE_CHECKING:
    from glustercheck.remote import Connection, ConnectionPool

K = TypeVar("K")
V = TypeVar("V")
E = TypeVar("E", bound=Exception)


def ssh_target(node: Node, spec: ClusterSpec) -> SshTarget:
    """The node as the SSH layer takes it: what the spec or command line says, None elsewhere
    (ssh_config, then defaults, decide: see glustercheck.remote.targets)."""
    return SshTarget(name=node.name, hostname=node.ssh_host or node.address, user=node.user,
                     port=node.port, identity_file=node.identity_file or spec.connection.identity_file,
                     sudo=node.sudo, sudo_user=node.sudo_user, connect_timeout=node.connect_timeout,
                     proxy_jump=node.proxy_jump)


def connect_options(spec: ClusterSpec, *, strict_host_keys: bool | None = None) -> ConnectOptions:
    c = spec.connection
    return ConnectOptions(
        ssh_config=c.ssh_config, known_hosts=c.known_hosts,
        strict_host_keys=c.strict_host_keys if strict_host_keys is None else strict_host_keys,
        connect_timeout=c.connect_timeout, command_timeout=c.command_timeout,
        sudo_when_not_root=True,
    )


def with_ssh_addresses(spec: ClusterSpec, options: ConnectOptions) -> ClusterSpec:
    """Nodes without a spec address take the one ssh_config's HostName gives (when it is an IP
    address): the cluster address of a node is where ssh reaches it. Names that ssh resolves
    through DNS stay without one (the hosts file step then says it cannot manage the file)."""
    if all(n.address for n in spec.nodes):
        return spec
    resolver = Resolver(options)
    taken = {ipaddress.ip_address(n.address) for n in spec.nodes if n.address}
    nodes = []
    for node in spec.nodes:
        address = node.address
        if address is None:
            host = resolver.resolve(ssh_target(node, spec)).hostname
            try:
                found = ipaddress.ip_address(host)
            except ValueError:
                found = None
            if found is not None and not (found.is_loopback or found.is_unspecified or found in taken):
                address = str(found)
                taken.add(found)
        nodes.append(dataclasses.replace(node, address=address))
    return dataclasses.replace(spec, nodes=tuple(nodes))


@dataclass
class GlusterRun:
    """What one pytest process knows about the cluster. Facts are gathered once and reused.

    Each node is probed once, all side by side; work for a node waits only for that node's probe,
    so a dead node's connect timeout overlaps everything the live nodes do (see `prefetch`).
    """

    spec: ClusterSpec
    options: ConnectOptions
    lock_path: Path
    _pool: ConnectionPool | None = None
    # ssh_config read once, and every direct node dialed while paramiko loads (start_probes): both
    # handed to the pool when it is made.
    _resolver: Resolver | None = None
    _dialed: dict[SshTarget, Future[socket.socket]] = field(default_factory=dict)
    _probes: dict[str, Future[RemoteError | None]] = field(default_factory=dict)
    _node_facts: dict[str, NodeFacts | GlusterCheckError] = field(default_factory=dict)
    _cluster_facts: ClusterFacts | None = None
    _mutex: threading.Lock = field(default_factory=threading.Lock)
    _node_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _cluster_lock: threading.Lock = field(default_factory=threading.Lock)
    _cluster_future: Future[None] | None = None
    # Under pytest-xdist: a directory all workers share, so that each fact script runs once per
    # run, not once per worker (four workers asking four nodes at once made each answer 3x slower).
    share_dir: Path | None = None
    _generation: int = 0  # bumped by forget_facts: outputs shared before then are not reused
    # Every fact script's answer (or error) in this process, by generation, node and script.
    _outputs: dict[tuple[int, str, str], CommandResult | RemoteError] = field(default_factory=dict)
    _output_locks: dict[tuple[int, str, str], threading.Lock] = field(default_factory=dict)
    # The generation each node's facts, and the volume state, were last forgotten at: an answer
    # from that generation on was read after every change that touched them.
    _node_changed_at: dict[str, int] = field(default_factory=dict)
    _volumes_changed_at: int = 0
    _probed: dict[str, RemoteError] | None = None  # every probe's outcome, once all are in
    # The volume state without the heal state, told while the heal state is asked (volume_state)
    _early_state: ClusterFacts | None = None
    _state_news: threading.Event = field(default_factory=threading.Event)
    # Bumped with every forget_facts and never reset (unlike the generation): what was worked
    # out from the facts of one epoch (a diagnosis) holds until the next.
    facts_epoch: int = 0

    def __post_init__(self) -> None:
        ensure_open_files(len(self.spec.nodes))  # a usage error now, before anything connects
        workers = max(1, min(32, len(self.spec.nodes)))
        self._probing = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe")
        # Work opened ahead of need, off the probes: TCP dials (`_dial`) and warm channels (`_reach`).
        self._ahead = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ahead")
        self._gathering = ThreadPoolExecutor(max_workers=min(16, workers), thread_name_prefix="node-facts")
        # Volume state is gathered in the background: it overlaps the per-node checks.
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cluster-facts")

    @property
    def pool(self) -> ConnectionPool:
        """The run's SSH connections, made on first use: paramiko (and the ~0.2 s its import
        costs) is loaded only by a run that talks to a node, not by one that only collects."""
        with self._mutex:
            if self._pool is None:
                from glustercheck.remote import paramiko_import

                paramiko_import.load()
                from glustercheck.remote.pool import ConnectionPool

                self._pool = ConnectionPool(self.options, resolver=self._resolver,
                                            dialed=self._dialed)
                self._dialed = {}
            return self._pool

    @property
    def names(self) -> list[str]:
        return [n.name for n in self.spec.nodes]

    @property
    def lock(self) -> ClusterLock:
        return ClusterLock(self.lock_path)

    def start_probes(self) -> None:
        """Reach every node, side by side, once per run (later calls do nothing). Reaching a node
        is its first command, the one that gathers its facts (the first node's also the volume
        state): knowing that a node answers and what it looks like costs one round trip, not two,
        and under xdist only the first process to ask sends it (see `fact_output`)."""
        with self._mutex:
            if not self._probes:
                # Not under xdist (share_dir): a worker's probes read the controller's answers
                # and must not open connections of their own.
                if self._pool is None and self.share_dir is None:
                    self._dial()
                for name in self.names:
                    self._probes[name] = self._probing.submit(self._reach, name)

    def _dial(self) -> None:
        """Dial every node reached directly, before paramiko is loaded (remote/tcp.py): the round
        trip and sshd's start for the connection overlap the load. An ssh_config that cannot be
        used is left for the connection to report, as it would without this."""
        try:
            self._resolver = Resolver(self.options)
            routes = {(target := ssh_target(node, self.spec)): self._resolver.resolve(target)
                      for node in self.spec.nodes}
        except RemoteError:
            return
        for target, resolved in routes.items():
            if tcp.is_direct(resolved):
                self._dialed[target] = self._ahead.submit(tcp.connect, resolved)

    def _reach(self, name: str) -> RemoteError | None:
        try:
            self._facts_output(name)
        except (UnreachableError, SudoError) as exc:
            return exc
        except RemoteError:
            return None  # it answered; its facts could not be read: its own checks say why
        if self.spec.volumes and name in self.names[1:2]:
            # The node that will most likely ask the heal state (`_heal_node`: the first one
            # after the volume state's) gets a channel ready for it meanwhile, off the probe.
            self._ahead.submit(self.pool.get(ssh_target(self.spec.node(name), self.spec)).warm)
        return None

    def _facts_script(self, name: str) -> str:
        first = name == self.names[0]
        volumes = [v.name for v in self.spec.volumes] if first else []
        return node_script(self.names, name, self.brick_paths(name), volumes, pool=first)

    def _facts_output(self, name: str) -> CommandResult:
        return self._output(name, self._facts_script(name), None, wait_probe=False)

    def probe_result(self, name: str) -> RemoteError | None:
        """Why `name` cannot be used (None: it can), waiting for its probe only: an
        UnreachableError, or a SudoError when it answers but sudo cannot be used."""
        self.start_probes()
        return self._probes[name].result()

    def probe(self) -> dict[str, RemoteError]:
        """The nodes that cannot be used, once every probe is in: one connect timeout at most.
        Each node is probed once per run, so the answer is kept (the checks ask it thousands of
        times at 16 nodes)."""
        if self._probed is None:
            self._probed = {name: error for name in self.names
                            if (error := self.probe_result(name)) is not None}
        return dict(self._probed)

    @property
    def unreachable(self) -> dict[str, RemoteError]:
        """Nodes known unreachable so far, without waiting (for reports)."""
        return {name: error for name, f in self._probes.items()
                if f.done() and (error := f.result()) is not None}

    def prefetch(self) -> None:
        """Start gathering every node's facts and the volume state now, each node as soon as it
        answers. Only for runs that change nothing: after setup steps, facts are gathered anew."""
        self.start_probes()
        for name in self.names:
            self._gathering.submit(self._try_facts, name)
        with self._mutex:
            if self._cluster_future is None:
                self._gather_cluster_facts_locked()

    def connection(self, name: str) -> Connection:
        error = self.probe_result(name)
        if error is not None:
            raise error
        return self.pool.get(ssh_target(self.spec.node(name), self.spec))

    def connected(self, name: str) -> Connection:
        """`name`'s connection as soon as its probe has opened it, not waiting for the probe's
        command (its facts): a command that needs only the login (the cluster lock) then runs
        beside the facts instead of after them. Raises the probe's error when it failed first."""
        self.start_probes()
        probe = self._probes[name]
        conn = self.pool.get(ssh_target(self.spec.node(name), self.spec))
        # Woken at once by the connect; a failed probe is noticed within one interval.
        while not conn.wait_opened(0.05):
            if probe.done():
                break
        error = probe.result() if probe.done() else None
        if error is not None:
            raise error
        return conn

    def first_command(self, name: str, command: str, *, timeout: float | None = None) -> CommandResult:
        """The probe's command: straight to the connection (opening it), as it is what the probe
        waits for."""
        return self.pool.get(ssh_target(self.spec.node(name), self.spec)).run(command, timeout=timeout)

    def run(self, name: str, command: str | Sequence[str], *, timeout: float | None = None,
            stdin: str | Callable[[], str] | None = None) -> CommandResult:
        return self.connection(name).run(command, timeout=timeout, stdin=stdin)

    def fact_output(self, name: str, script: str, *, timeout: float | None = None) -> CommandResult:
        """Run a read-only fact script on `name`, once per generation in this process (the answer,
        or the error, is kept). With `share_dir`, the first process to ask runs it and the others
        read its output; a failure (unreachable, timeout) is not shared."""
        return self._output(name, script, timeout, wait_probe=True)

    def _output(self, name: str, script: str, timeout: float | None, *,
                wait_probe: bool) -> CommandResult:
        key = (self._generation, name, script)
        return self._once(self._outputs, self._output_locks, key,
                          lambda: self._shared_output(key, timeout, wait_probe), RemoteError)

    def _once(self, store: dict[K, V | E], locks: dict[K, threading.Lock], key: K,
              compute: Callable[[], V], errors: type[E]) -> V:
        """`compute()` once per key (one caller at a time per key, different keys side by side);
        its answer, or its error of type `errors`, is kept and handed to every later caller."""
        with self._mutex:
            key_lock = locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in store:
                try:
                    store[key] = compute()
                except errors as exc:
                    store[key] = exc
            found = store[key]
        if isinstance(found, errors):
            raise found
        return cast(V, found)

    @staticmethod
    def _share_file(directory: Path, key: tuple[int, str, str]) -> Path:
        digest = hashlib.sha256("\0".join(map(str, key)).encode()).hexdigest()[:24]
        return directory / f"glustercheck-output-{digest}.json"

    def _shared_output(self, key: tuple[int, str, str], timeout: float | None,
                       wait_probe: bool) -> CommandResult:
        _, name, script = key

        def run() -> CommandResult:
            if wait_probe:
                return self.run(name, script, timeout=timeout)
            return self.first_command(name, script, timeout=timeout)

        if self.share_dir is None:
            return run()
        path = self._share_file(self.share_dir, key)
        import filelock  # ~12 ms at import: only xdist runs share outputs through files

        with filelock.FileLock(f"{path}.lock"):
            if path.exists():
                return CommandResult(**json.loads(path.read_text()))
            result = run()
            path.write_text(json.dumps(dataclasses.asdict(result)))
            return result

    def reachable(self) -> list[str]:
        return [n for n in self.names if n not in self.probe()]

    def is_unreachable_host(self, host: str) -> bool:
        """Whether a brick host (name or address) is a spec node that did not answer its probe.
        A node whose probe (its facts command) is still running on an open SSH connection is
        reachable: waiting for that command would tie the heal state and the data path to the
        slowest node's facts (20 s behind a hung glusterd)."""
        owner = self.spec.node_for_host(host)
        if owner is None:
            return False
        self.start_probes()
        if not self._probes[owner.name].done() and self._connected(owner.name):
            return False
        return self.probe_result(owner.name) is not None

    def _connected(self, name: str) -> bool:
        if self._pool is None:
            return False
        try:
            transport = self._pool.get(ssh_target(self.spec.node(name), self.spec)).transport
        except RemoteError:  # its ssh_config cannot be used: the probe says so
            return False
        return transport is not None and transport.is_active()

    def brick_paths(self, name: str) -> list[str]:
        return list(dict.fromkeys(b.path for b in self.spec.bricks_on(name)))

    def node_facts(self, name: str) -> NodeFacts:
        return self._once(self._node_facts, self._node_locks, name, lambda: gather_node_facts(
            lambda script: self.fact_output(name, script), name, self.names,
            self.brick_paths(name), script=self._facts_script(name)), GlusterCheckError)

    def all_node_facts(self) -> dict[str, NodeFacts]:
        """Facts of every reachable node, and the cluster's volume state, gathered side by side."""
        names = self.reachable()
        with self._mutex:
            if names and self._cluster_facts is None and self._cluster_future is None:
                self._gather_cluster_facts_locked()
        missing = [n for n in names if n not in self._node_facts]
        if missing:  # the `facts` fixture calls this for every check: no pool once gathered
            with ThreadPoolExecutor(max_workers=min(16, len(missing))) as pool:
                list(pool.map(self._try_facts, missing))
        return {n: f for n in names if isinstance(f := self._node_facts.get(n), NodeFacts)}

    def running_op_versions(self, names: Sequence[str]) -> dict[str, int | str]:
        """The op-version glusterd itself runs at on each of `names` (`volume get all
        cluster.op-version`), or why it could not tell. For when the stored ones differ (see
        NodeFacts.op_version): one more command on those nodes, never on a healthy run."""
        command = gluster_command(["volume", "get", "all", "cluster.op-version"])

        def ask(name: str) -> int | str:
            try:
                result = self.run(name, command, timeout=15)
            except RemoteError as exc:
                return str(exc)
            found, _ = parse_op_versions(result.stdout)
            return found if found is not None else (
                f"`{' '.join(command)}` answered {(result.stdout + result.stderr).strip()[:200]!r}")

        with ThreadPoolExecutor(max_workers=max(1, min(16, len(names)))) as pool:
            return dict(zip(names, pool.map(ask, names), strict=True))

    def _try_facts(self, name: str) -> None:
        with contextlib.suppress(GlusterCheckError):  # recorded; the node's own checks report it
            self.node_facts(name)

    def _gather_cluster_facts_locked(self) -> None:
        """Gather the volume state in the background (the caller holds `_mutex`). Whoever waits
        in `volume_state` is woken when it tells the state, or when it ends without one."""
        self._cluster_future = self._background.submit(self._try_cluster_facts)
        news = self._state_news
        self._cluster_future.add_done_callback(lambda _: news.set())

    def _try_cluster_facts(self) -> None:
        """From the first node in spec order that answers its probe (not waiting for later ones)
        and whose glusterd answers."""
        source = next((n for n in self.names if self.probe_result(n) is None and self._answers(n)),
                      None)
        if source is None:
            return
        with contextlib.suppress(GlusterCheckError):  # cluster_facts() then asks another node
            self._cluster_facts_from(source)

    def _cluster_facts_from(self, source: str) -> ClusterFacts:
        with self._cluster_lock:
            if self._cluster_facts is None or self._cluster_facts.source != source:
                volumes = [v.name for v in self.spec.volumes]
                self._cluster_facts = gather_cluster_facts(
                    lambda script: self.fact_output(source, script, timeout=120), source, volumes,
                    self.is_unreachable_host, state=self._state_gathered(source),
                    heal=lambda script: self.fact_output(self._heal_node(source), script, timeout=120),
                    told_state=self._told_state)
            return self._cluster_facts

    def _told_state(self, state: ClusterFacts) -> None:
        with self._mutex:
            self._early_state = state
        self._state_news.set()

    def volume_state(self) -> ClusterFacts:
        """Volume info and status as soon as they are in, before the heal state (a command of its
        own, asked after them): for a decision that can be prepared on them (the data path trial
        mounts meanwhile). Its `heal` is empty; without a gathering under way, `cluster_facts`."""
        with self._mutex:
            gathering = self._cluster_future
        if gathering is not None:
            self._state_news.wait()
            with self._mutex:
                if self._early_state is not None:
                    return self._early_state
        return self.cluster_facts()

    def _answers(self, name: str) -> bool:
        try:
            facts = self.node_facts(name)
        except GlusterCheckError:
            return False
        return facts.glusterd_running and not facts.glusterd_hung

    def _state_gathered(self, source: str) -> str | None:
        """The volume state `source` printed with its facts, if it did (the first node does,
        when its glusterd answers): then asking for it is no command of its own."""
        told = self._facts_told_since_changed(source)
        if told is None:
            try:
                told = self._facts_output(source)
            except RemoteError:
                return None
        return told.stdout if has_state(told.stdout) else None

    def _facts_told_since_changed(self, source: str) -> CommandResult | None:
        """`source`'s newest facts answer read after the last change to it or to the volumes.
        Each node step's change moves the generation on, so the answer the first node gave right
        after its own step is older than the current generation yet still true; asking again cost
        it a second facts command (1.2 s at 16 nodes), which the next peer probe, forgetting the
        facts, had to wait for."""
        script = self._facts_script(source)
        with self._mutex:
            since = self._true_since(source)
            told = [(generation, found) for (generation, name, asked), found in self._outputs.items()
                    if name == source and asked == script and generation >= since
                    and isinstance(found, CommandResult)]
        return max(told, key=lambda pair: pair[0])[1] if told else None

    def _true_since(self, name: str) -> int:
        """The generation from which `name`'s answers are still true: that of the last change to
        it or to the volumes (its facts carry the volume state). Under `_mutex`."""
        return max(self._volumes_changed_at, self._node_changed_at.get(name, 0))

    def _heal_node(self, source: str) -> str:
        """Who asks for the heal state: another node whose glusterd is known to answer (so the
        node that told the volume state, and holds the cluster lock, sends no second command),
        else `source`. Never waits for a probe still under way."""
        for name in self.names:
            future = self._probes.get(name)
            done = future is not None and future.done() and future.result() is None
            if name != source and done and self._answers(name):
                return name
        return source

    def cluster_facts(self) -> ClusterFacts:
        """Volume state from the first reachable node whose glusterd answers."""
        facts = self.all_node_facts()
        if self._cluster_future is not None:
            self._cluster_future.result()
        found = self._cluster_facts
        def answers(name: str) -> bool:  # a hung glusterd (SIGSTOP) runs but tells nothing
            return name in facts and facts[name].glusterd_running and not facts[name].glusterd_hung

        if found is not None and answers(found.source):
            return found
        source = next((n for n in self.names if answers(n)), None)
        if source is None:
            raise GlusterCheckError(
                "no node could report volume state: glusterd runs on none of the reachable "
                f"nodes ({', '.join(facts) or 'none reachable'})")
        return self._cluster_facts_from(source)

    def gathered_node_facts(self) -> dict[str, NodeFacts | GlusterCheckError]:
        """What this process gathered so far, without gathering anything (for the reports)."""
        with self._mutex:
            return dict(self._node_facts)

    def gathered_cluster_facts(self) -> ClusterFacts | None:
        return self._cluster_facts

    def use_share_dir(self, directory: Path, *, keep_current: bool = False) -> None:
        """Share fact outputs through `directory` from now on, starting afresh (generation 0), so
        processes that reach this point at different generations still share. With
        `keep_current`, the answers of the current generation (gathered after the last change,
        e.g. by --apply's final plan) are kept, and written there for the other processes."""
        directory.mkdir(parents=True, exist_ok=True)
        with self._mutex:  # before forget_facts, which lets go of every answer read until now
            kept = {(0, name, script): found for (generation, name, script), found
                    in self._outputs.items() if keep_current and generation == self._generation
                    and isinstance(found, CommandResult)}
        self.forget_facts()
        with self._mutex:
            self.share_dir = directory
            self._generation = 0
            self._node_changed_at.clear()
            self._volumes_changed_at = 0
            # Generation 0 again: answers this process kept from before (the probe's facts,
            # gathered before --apply acted) would otherwise be taken for today's.
            self._outputs = dict(kept)
            self._output_locks.clear()
        for key, found in kept.items():
            self._share_file(directory, key).write_text(json.dumps(dataclasses.asdict(found)))

    def start_afresh(self) -> None:
        """Everything the nodes told so far is stale (another run changed the cluster while this
        one waited for the lock): forget it here and in the shared directory, which xdist workers
        read from (they start after this, at generation 0)."""
        self.probe()  # a probe still under way would store its stale answer after the clean-up
        if self.share_dir is None:
            self.forget_facts()
            with self._mutex:
                self._outputs.clear()
                self._output_locks.clear()
            return
        for path in self.share_dir.glob("glustercheck-output-*"):
            path.unlink(missing_ok=True)
        self.use_share_dir(self.share_dir)

    def forget_facts(self, nodes: Iterable[str] | None = None, *, cluster: bool = True) -> None:
        """After a change, what it touched must be gathered afresh: the facts of `nodes` (all when
        None) and, with `cluster`, the volume state."""
        if self._cluster_future is not None:
            self._cluster_future.result()  # let a gathering under way finish before forgetting
        with self._mutex:
            self._generation += 1
            self.facts_epoch += 1
            for name in self.names if nodes is None else nodes:
                self._node_facts.pop(name, None)
                self._node_changed_at[name] = self._generation
            if cluster:
                self._cluster_facts = None
                self._cluster_future = None
                self._early_state = None
                self._state_news = threading.Event()
                self._volumes_changed_at = self._generation
            # An answer from before the last change to its node or to the volumes is never read
            # again (the current generation's are asked afresh, and _facts_told_since_changed
            # looks back no further). Kept, they were a 64-node --apply's every facts answer of
            # every step: peak RSS 83 MB against 77 MB for a check-only run.
            dead = [key for key in self._outputs if key[0] < self._true_since(key[1])]
            for key in dead:
                del self._outputs[key]
                self._output_locks.pop(key, None)

    def close(self) -> None:
        for executor in (self._background, self._gathering, self._probing, self._ahead):
            executor.shutdown(wait=True)  # every remote command and connect has a timeout
        if self._pool is not None:
            self._pool.close_all()
        for dialed in self._dialed.values():  # dialed, but paramiko was never loaded
            tcp.discard(dialed)
