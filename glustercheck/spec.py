"""The cluster spec: one TOML file describing nodes, volumes and how to connect.

Schema (every table and key optional unless marked; unknown keys are errors):

    [connection]                     # what is left out comes from ssh_config, as `ssh` reads it
    ssh_config = "ssh_config"        # default: ~/.ssh/config then /etc/ssh/ssh_config; paths: `~`
                                     # expanded, relative to the spec file's directory
    identity_file = "~/.ssh/id_ed25519"  # besides ssh-agent's keys and ssh_config's IdentityFile
    known_hosts = "known_hosts"      # default: ssh_config's UserKnownHostsFile, ~/.ssh/known_hosts
    strict_host_keys = true          # default: ssh_config's StrictHostKeyChecking, else refuse
    connect_timeout = 5              # seconds, > 0; default: ssh_config's ConnectTimeout, else 5
    command_timeout = 60             # seconds, > 0

    [defaults]                       # applied to every node that does not set the key itself
    user = "pi"                      # default: ssh_config's User, else the local user
    sudo = true                      # default: sudo -n when the login user is not root
    sudo_user = "root"               # run what needs root as this user (sudo -n -u USER)
    port = 22                        # default: ssh_config's Port, else 22
    proxy_jump = "rpi0"              # default: ssh_config's ProxyJump (e.g. a bastion Pi)

    [[nodes]]                        # in cluster order
    name = "rpi0"                    # required; an RFC 1123 host name, unique (case-insensitive)
    address = "10.0.1.0"             # an IPv4/IPv6 address a peer can use (not loopback, multicast,
                                     # link-local; no scope id), unique; omit to take ssh_config's
                                     # HostName (when it is an address)
    user = "pi"                      # and sudo, sudo_user, port, proxy_jump as in [defaults]

    [[volumes]]
    name = "gv"                      # [A-Za-z0-9_-], not starting with '-', <= 255 characters,
                                     # not a reserved word of gluster (all, volume, help, ...)
    replica = 2                      # counts are integers >= 0; grouping is checked elsewhere
    arbiter = 0
    disperse = 0
    redundancy = 0
    stripe = 0                       # accepted so the validator can explain why it is gone
    brick_path = "/mnt/usb/gv"       # absolute, canonical (no //, trailing /, . or ..), no white
                                     # space, control characters or ':'; one brick per node, in
                                     # node order ...
    bricks = ["rpi0:/mnt/usb/gv"]    # ... unless bricks lists HOST:/path in create order
    transport = "tcp"                # tcp, rdma or "tcp,rdma"
    force = false
    options = { "cluster.granular-entry-heal" = "on" }  # values: strings (numbers, booleans ok)

The value rules are glustercheck/inputs.py's, shared with `--hosts` and the /etc/hosts editor;
volume name, brick host and brick path must also fit glusterd's limits (glusterd_limits.py).
The file is read only if it is a regular file of at most MAX_SPEC_BYTES (never a FIFO or device:
the check cannot block).

Errors are SpecError naming the file, the key path (`volumes[0].replica`) and the problem.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from glustercheck import inputs
from glustercheck.brick import BrickRef, BrickSyntaxError, parse_brick
from glustercheck.errors import SpecError
from glustercheck.glusterd_limits import too_long, volfile_too_long
from glustercheck.remote.hostspec import HostSpec, HostSpecError, parse_hostspec
from glustercheck.spec_file import not_a_file_problem, read_spec_text, toml_document

TRANSPORTS = ("tcp", "rdma", "tcp,rdma")


@dataclass(frozen=True)
class Node:
    """One node. None means "not given": ssh_config, then defaults, decide (see remote.targets)."""

    name: str
    address: str | None  # its cluster address (the hosts file maps `name` to it)
    user: str | None = None
    sudo: bool | None = None  # None: sudo -n when the login user is not root
    port: int | None = None
    sudo_user: str | None = None
    proxy_jump: str | None = None
    identity_file: Path | None = None  # from --hosts (ssh_identity_file=) or an inventory
    ssh_host: str | None = None  # what to connect to when that is not `address` (an inventory's name)
    connect_timeout: float | None = None  # from --hosts (timeout=)


@dataclass(frozen=True)
class NodeDefaults:
    """The `[defaults]` table: what a node gets for a key it does not set."""

    user: str | None = None
    sudo: bool | None = None
    port: int | None = None
    sudo_user: str | None = None
    proxy_jump: str | None = None


@dataclass(frozen=True)
class VolumeSpec:
    name: str = "gv"
    replica: int = 2
    arbiter: int = 0
    disperse: int = 0
    redundancy: int = 0
    stripe: int = 0
    brick_path: str = "/mnt/usb/gv"
    bricks: tuple[BrickRef, ...] | None = None
    transport: str = "tcp"
    options: dict[str, str] = field(default_factory=dict)
    force: bool = False

    def brick_list(self, nodes: Sequence[Node]) -> tuple[BrickRef, ...]:
        """Bricks in `volume create` order: the explicit list, else `node:brick_path` per node."""
        if self.bricks is not None:
            return self.bricks
        return tuple(BrickRef(node.name, self.brick_path) for node in nodes)


@dataclass(frozen=True)
class ConnectionSpec:
    ssh_config: Path | None = None
    identity_file: Path | None = None
    known_hosts: Path | None = None
    strict_host_keys: bool | None = None
    connect_timeout: float | None = None
    command_timeout: float = 60.0


@dataclass(frozen=True)
class ClusterSpec:
    nodes: tuple[Node, ...]
    volumes: tuple[VolumeSpec, ...]
    connection: ConnectionSpec = ConnectionSpec()
    source: Path | None = None
    defaults: NodeDefaults = NodeDefaults()

    def node_for_host(self, host: str) -> Node | None:
        """The node a brick host names, by node name (any case) or by address."""
        return _find_node(self.nodes, host)

    def owner(self, brick: BrickRef) -> str:
        """The name of the node a brick is on (its host as written when no node matches)."""
        node = _find_node(self.nodes, brick.host)
        return node.name if node is not None else brick.host

    def bricks_on(self, name: str) -> list[BrickRef]:
        """Every declared brick on node `name`, in volume and brick order."""
        return [b for v in self.volumes for b in v.brick_list(self.nodes) if self.owner(b) == name]

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name.casefold() == name.casefold():
                return node
        known = ", ".join(n.name for n in self.nodes) or "none"
        where = self.source or "the cluster spec"
        raise SpecError(f"{where}: no node named {name!r}; known nodes: {known}")


# --- reading -------------------------------------------------------------------------------


class _Reader:
    """Typed access to one parsed TOML document, failing with file and key path."""

    def __init__(self, label: str, base: Path) -> None:
        self.label, self.base = label, base

    def fail(self, key: str, what: str) -> SpecError:
        return SpecError(f"{self.label}: {key}: {what}")

    def table(self, data: Any, key: str, allowed: Sequence[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, f"expected a table, got {_kind(data)}")
        for name in data:
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                known = ", ".join(allowed)
                hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {known}"
                raise self.fail(_join(key, name), f"unknown key{hint}")
        return data

    def get(self, data: dict[str, Any], key: str, name: str, kinds: tuple[type, ...],
            default: Any) -> Any:
        if name not in data:
            return default
        value = data[name]
        # bool is an int subclass in Python, but `port = true` is a mistake in a spec file
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            wanted = " or ".join(_KIND_NAMES[k] for k in kinds)
            raise self.fail(_join(key, name), f"expected {wanted}, got {_kind(value)}")
        return value

    def path(self, data: dict[str, Any], key: str, name: str) -> Path | None:
        text = self.get(data, key, name, (str,), None)
        if text is None:
            return None
        if not text:
            raise self.fail(_join(key, name), "empty path")
        path = self.base / Path(text).expanduser()  # an absolute path replaces the base
        problem = not_a_file_problem(path)
        if problem:
            raise self.fail(_join(key, name), f"{inputs.shown(str(path))} {problem}")
        return path

    def count(self, data: dict[str, Any], key: str, name: str, default: int, low: int = 0) -> int:
        value: int = self.get(data, key, name, (int,), default)
        if value < low:
            raise self.fail(_join(key, name), f"must be at least {low}, got {value}")
        if value > MAX_COUNT:
            raise self.fail(_join(key, name), f"{value} is more than {MAX_COUNT} bricks can hold")
        return value

    def check(self, key: str, value: str, problem: Callable[[str], str | None]) -> str:
        """`value` if `problem` finds nothing wrong with it, else a SpecError naming key and value."""
        why = problem(value)
        if why:
            raise self.fail(key, f"{inputs.shown(value)} {why}")
        return value


MAX_COUNT = 1024  # counts beyond --hosts' own limit of hosts cannot describe a real volume


_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}
_KIND_NAMES |= {list: "an array", dict: "a table"}


def _kind(value: Any) -> str:
    if isinstance(value, float):
        return "a float"
    return _KIND_NAMES.get(type(value), type(value).__name__)


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _check_address(reader: _Reader, key: str, text: str) -> inputs.Address:
    return ipaddress.ip_address(reader.check(key, text, inputs.address_problem))


def _read_connection(r: _Reader, data: Any) -> ConnectionSpec:
    keys = [f.name for f in ConnectionSpec.__dataclass_fields__.values()]
    data = r.table(data, "connection", keys)
    def seconds(name: str) -> float | None:
        value = r.get(data, "connection", name, (int, float), getattr(ConnectionSpec, name))
        if value is not None and not (math.isfinite(value) and value > 0):
            raise r.fail(f"connection.{name}", f"must be a positive number of seconds, got {value}")
        return None if value is None else float(value)

    command_timeout = seconds("command_timeout")
    return ConnectionSpec(
        ssh_config=r.path(data, "connection", "ssh_config"),
        identity_file=r.path(data, "connection", "identity_file"),
        known_hosts=r.path(data, "connection", "known_hosts"),
        strict_host_keys=r.get(data, "connection", "strict_host_keys", (bool,), None),
        connect_timeout=seconds("connect_timeout"),
        command_timeout=ConnectionSpec.command_timeout if command_timeout is None else command_timeout,
    )


_Table = dict[str, Any]


_NODE_FIELDS = ["user", "sudo", "sudo_user", "port", "proxy_jump"]


def _read_node_fields(r: _Reader, data: _Table, key: str, dflt: NodeDefaults) -> NodeDefaults:
    names = {}
    for name in ("user", "sudo_user", "proxy_jump"):
        value = r.get(data, key, name, (str,), getattr(dflt, name))
        if value is not None and name != "proxy_jump":
            r.check(_join(key, name), value, inputs.user_problem)
        elif value is not None and (not value.strip() or any(c.isspace() for c in value)):
            raise r.fail(_join(key, name), f"{value!r} is empty or contains whitespace")
        names[name] = value
    port = r.get(data, key, "port", (int,), dflt.port)
    if port is not None and not 0 < port < 65536:
        raise r.fail(_join(key, "port"), f"{port} is not a TCP port (1-65535)")
    return NodeDefaults(names["user"], r.get(data, key, "sudo", (bool,), dflt.sudo), port,
                        names["sudo_user"], names["proxy_jump"])


def _read_nodes(r: _Reader, data: Any, defaults: NodeDefaults) -> tuple[Node, ...]:
    if not isinstance(data, list):
        raise r.fail("nodes", f"expected an array of tables ([[nodes]]), got {_kind(data)}")
    nodes: list[Node] = []
    names: dict[str, str] = {}
    addresses: dict[Any, str] = {}
    for i, raw in enumerate(data):
        key = f"nodes[{i}]"
        item = r.table(raw, key, ["name", "address", *_NODE_FIELDS])
        if "name" not in item:
            raise r.fail(f"{key}.name", "missing (every node needs a name)")
        name = r.check(f"{key}.name", r.get(item, key, "name", (str,), None), inputs.host_name_problem)
        if name.casefold() in names:
            raise r.fail(f"{key}.name", f"{name!r} is already {names[name.casefold()]}")
        names[name.casefold()] = f"{key}.name"
        address = r.get(item, key, "address", (str,), None)
        if address is not None:
            parsed = _check_address(r, f"{key}.address", address)
            if parsed in addresses:
                raise r.fail(f"{key}.address", f"{address!r} is already {addresses[parsed]}")
            addresses[parsed] = f"{key}.address"
        own = _read_node_fields(r, item, key, defaults)
        nodes.append(Node(name, address, own.user, own.sudo, own.port, own.sudo_user,
                          own.proxy_jump))
    return tuple(nodes)


_VOLUME_KEYS = [f.name for f in VolumeSpec.__dataclass_fields__.values()]


def _read_volume(r: _Reader, item: Any, key: str, nodes: Sequence[Node]) -> VolumeSpec:
    item = r.table(item, key, _VOLUME_KEYS)
    name = r.get(item, key, "name", (str,), "gv")
    r.check(f"{key}.name", name, _volume_name_problem)
    counts = {c: r.count(item, key, c, getattr(VolumeSpec, c)) for c in _COUNTS}
    brick_path = r.check(f"{key}.brick_path", r.get(item, key, "brick_path", (str,),
                                                    VolumeSpec.brick_path), inputs.brick_path_problem)
    bricks = r.get(item, key, "bricks", (list,), None)
    if bricks is not None:
        where = f"{key}.bricks"
        bricks = tuple(_check_brick(r, f"{where}[{j}]", b, nodes) for j, b in enumerate(bricks))
    transport = r.get(item, key, "transport", (str,), "tcp")
    if transport not in TRANSPORTS:
        raise r.fail(f"{key}.transport", f"{transport!r} is not one of {', '.join(TRANSPORTS)}")
    options = r.get(item, key, "options", (dict,), {})
    for option, value in options.items():
        where = f"{key}.options.{inputs.shown(option, 80)}"
        r.check(where, option, inputs.option_key_problem)
        if not isinstance(value, str | int | float):
            raise r.fail(where, f"expected a string, got {_kind(value)}")
        r.check(where, _option_text(value), inputs.option_value_problem)
    return VolumeSpec(
        name=name,
        **counts,
        brick_path=brick_path,
        bricks=bricks,
        transport=transport,
        options={k: _option_text(v) for k, v in options.items()},
        force=r.get(item, key, "force", (bool,), False),
    )


def _volume_name_problem(name: str) -> str | None:
    problem = inputs.volume_name_problem(name)
    return f"is not a gluster volume name: it {problem}" if problem else None


_COUNTS = ("replica", "arbiter", "disperse", "redundancy", "stripe")


def _option_text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _check_brick(r: _Reader, key: str, brick: Any, nodes: Sequence[Node]) -> BrickRef:
    if not isinstance(brick, str):
        raise r.fail(key, f"expected a string HOST:/path, got {_kind(brick)}")
    try:
        parsed = parse_brick(brick)
    except BrickSyntaxError as exc:
        raise r.fail(key, str(exc)) from None
    path_problem = inputs.brick_path_problem(parsed.path)
    if path_problem:
        raise r.fail(key, f"brick {inputs.shown(brick)}: its path {path_problem}")
    if _find_node(nodes, parsed.host) is None:
        known = ", ".join(n.name for n in nodes) or "none"
        raise r.fail(key, f"host {parsed.host!r} of brick {brick!r} is not a node (known: {known})")
    return parsed


def _find_node(nodes: Sequence[Node], host: str) -> Node | None:
    """The node called `host`, or whose address is `host`."""
    for node in nodes:
        if node.name.casefold() == host.casefold() or node.address == host:
            return node
    return None


def loads_spec(text: str, source: Path | None = None) -> ClusterSpec:
    """Parse spec TOML text; relative paths in it are taken relative to `source`'s directory."""
    label = str(source) if source is not None else "<cluster spec>"
    base = source.absolute().parent if source is not None else Path.cwd()
    r = _Reader(label, base)
    data = toml_document(label, text)
    r.table(data, "", ["connection", "defaults", "nodes", "volumes"])
    connection = _read_connection(r, data.get("connection", {}))
    raw_defaults = r.table(data.get("defaults", {}), "defaults", _NODE_FIELDS)
    defaults = _read_node_fields(r, raw_defaults, "defaults", NodeDefaults())
    nodes = _read_nodes(r, data.get("nodes", []), defaults)
    raw_volumes = data.get("volumes", [])
    if not isinstance(raw_volumes, list):
        got = _kind(raw_volumes)
        raise r.fail("volumes", f"expected an array of tables ([[volumes]]), got {got}")
    volumes: list[VolumeSpec] = []
    for i, item in enumerate(raw_volumes):
        volume = _read_volume(r, item, f"volumes[{i}]", nodes)
        earlier = [j for j, v in enumerate(volumes) if v.name == volume.name]
        if earlier:
            first = f"volumes[{earlier[0]}].name"
            raise r.fail(f"volumes[{i}].name", f"{volume.name!r} is already {first}")
        volumes.append(volume)
    spec = ClusterSpec(nodes, tuple(volumes), connection, source, defaults)
    check_glusterd_limits(spec)
    return spec


def check_glusterd_limits(spec: ClusterSpec) -> None:
    """Every brick fits glusterd's length limits (volume name, host and path together)."""
    for i, volume in enumerate(spec.volumes):
        for brick in volume.brick_list(spec.nodes):
            why = (too_long(volume.name, brick.host, brick.path)
                   or volfile_too_long(volume.name, brick.host, brick.path))
            if why:
                where = f"{spec.source or '<cluster spec>'}: volumes[{i}]"
                raise SpecError(f"{where}: brick {inputs.shown(str(brick), 120)}: glusterd would "
                                f"refuse it as too long: {why}")


def load_spec(path: str | os.PathLike[str]) -> ClusterSpec:
    """Read and check a spec file. Raises SpecError naming the file, key path and problem."""
    path = Path(path)
    return loads_spec(read_spec_text(path), path)


# --- --hosts -------------------------------------------------------------------------------


def node_from_hostspec(host: HostSpec, defaults: NodeDefaults, known: Node | None,
                       where: str) -> Node:
    """A node for one parsed `--hosts` entry: what the entry gives wins over the spec's node."""
    if host.options.ssh_config is not None:
        raise SpecError(f"--hosts {where!r}: a per-host ssh_config is not supported; give one "
                        "for the whole run with --ssh-config")
    if known is None:
        address = _host_entry_address(host.host, where)
        known = Node(host.host if address is None else address, address, defaults.user,
                     defaults.sudo, defaults.port, defaults.sudo_user, defaults.proxy_jump)
    o = host.options
    given: dict[str, Any] = {"user": host.user, "port": host.port, "sudo": o.sudo,
                             "sudo_user": o.sudo_user, "identity_file": o.ssh_identity_file,
                             "connect_timeout": o.timeout}
    return replace(known, **{k: v for k, v in given.items() if v is not None})


def _host_entry_address(host: str, where: str) -> str | None:
    """The address a new node from `--hosts` has (None: a name), checked as a spec node's would be.

    parse_hostspec (remote/hostspec.py) reads the syntax; this is what the cluster needs on top:
    an address a peer can have, or a node name (not a loopback name, not all digits)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        problem = inputs.host_name_problem(host)
        if problem:
            raise SpecError(f"--hosts: host {where!r}: {inputs.shown(host)} {problem}") from None
        return None
    problem = inputs.usable_address_problem(address)
    if problem:
        raise SpecError(f"--hosts: host {where!r}: {host} {problem}")
    return str(address)


def with_login(spec: ClusterSpec, *, user: str | None = None, sudo: bool | None = None,
               sudo_user: str | None = None, identity_file: Path | None = None,
               ssh_config: Path | None = None) -> ClusterSpec:
    """The spec with run-wide command-line login settings (testinfra's --sudo, --sudo-user,
    --ssh-identity-file, --ssh-config) over what the file says; None leaves a value alone."""
    node_fields: dict[str, Any] = {k: v for k, v in (("user", user), ("sudo", sudo),
                                                     ("sudo_user", sudo_user)) if v is not None}
    per_node: dict[str, Any] = dict(node_fields)
    if identity_file is not None:
        per_node["identity_file"] = identity_file
    nodes = tuple(replace(n, **per_node) for n in spec.nodes)
    connection = spec.connection
    if ssh_config is not None:
        connection = replace(connection, ssh_config=ssh_config)
    if identity_file is not None:
        connection = replace(connection, identity_file=identity_file)
    return replace(spec, nodes=nodes, defaults=replace(spec.defaults, **node_fields),
                   connection=connection)


def with_hosts(spec: ClusterSpec, hosts: Sequence[str]) -> ClusterSpec:
    """The spec restricted to, and ordered by, the expanded `--hosts` entries.

    An entry matches a spec node by name (case-insensitive) or by address; an entry matching no
    node becomes a new node with the spec's `[defaults]`. `--hosts` order wins over spec order,
    nodes it does not name are dropped, and implicit brick lists follow (`brick_list`). A volume
    with explicit `bricks` on a dropped node is an error. An empty `hosts` changes nothing.
    """
    if not hosts:
        return spec
    nodes: list[Node] = []
    for text in hosts:
        try:
            parsed = parse_hostspec(text)
        except HostSpecError as exc:
            raise SpecError(f"--hosts: {exc}") from None
        known = _find_node(spec.nodes, parsed.host)
        node = node_from_hostspec(parsed, spec.defaults, known, text)
        if any(n.name.casefold() == node.name.casefold() for n in nodes):
            raise SpecError(f"--hosts: {text!r} names node {node.name!r} a second time (names "
                            "match case-insensitively)")
        nodes.append(node)
    for i, volume in enumerate(spec.volumes):
        for brick in volume.bricks or ():
            if _find_node(nodes, brick.host) is None:
                raise SpecError(
                    f"{spec.source or 'cluster spec'}: volumes[{i}].bricks: {str(brick)!r} is on"
                    f" {brick.host!r}, which --hosts leaves out; add it to --hosts or drop --hosts"
                )
    chosen = replace(spec, nodes=tuple(nodes))
    check_glusterd_limits(chosen)
    return chosen


def default_spec(hosts: Sequence[str]) -> ClusterSpec:
    """The how-to's cluster on `hosts`: volume `gv`, replica 2, /mnt/usb/gv on every node."""
    return with_hosts(ClusterSpec((), (VolumeSpec(),)), hosts)


def with_nodes(spec: ClusterSpec, nodes: Sequence[Node]) -> ClusterSpec:
    """The spec on `nodes` (e.g. an Ansible group): a spec node of the same name keeps what the
    spec file says where the new node says nothing."""
    merged = []
    for node in nodes:
        _check_outside_node(node)
        known = _find_node(spec.nodes, node.name)
        if known is None:
            d = spec.defaults
            known = Node(node.name, None, d.user, d.sudo, d.port, d.sudo_user, d.proxy_jump)
        given: dict[str, Any] = {f: getattr(node, f) for f in Node.__dataclass_fields__
                                 if getattr(node, f) is not None}
        merged.append(replace(known, **given))
    return with_hosts(replace(spec, nodes=tuple(merged)), [n.name for n in merged])


def _check_outside_node(node: Node) -> None:
    """A node from outside the spec (an inventory) meets the spec's rules for name and address."""
    for what, value, problem in (("name", node.name, inputs.host_name_problem),
                                 ("address", node.address, inputs.address_problem)):
        why = problem(value) if value is not None else None
        if why:
            raise SpecError(f"node {inputs.shown(node.name)}: its {what} {inputs.shown(value or '')} {why}")


# --- writing -------------------------------------------------------------------------------


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, BrickRef):
        return _toml(str(value))
    if isinstance(value, str | Path):
        return '"' + "".join(_escape(c) for c in str(value)) + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(char: str) -> str:
    """One character of a TOML basic string: quotes, backslashes and control characters escaped."""
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char < " " or char == "\x7f":
        return f"\\u{ord(char):04x}"
    return char


def _assignments(obj: Any, skip_if: Any) -> list[str]:
    """`key = value` lines for the fields of `obj` that differ from `skip_if` (and are not None)."""
    lines = []
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        if value is not None and (skip_if is None or value != getattr(skip_if, name, object())):
            lines.append(f"{name} = {_toml(value)}")
    return lines


def dump_spec(spec: ClusterSpec) -> str:
    """The spec as TOML that `loads_spec` reads back to an equal spec (paths become absolute)."""
    out = ["# Cluster spec (written by glustercheck.spec.dump_spec)", "", "[connection]"]
    out += _assignments(spec.connection, None)
    out += ["", "[defaults]", *_assignments(spec.defaults, None)]
    for node in spec.nodes:
        out += ["", "[[nodes]]", f"name = {_toml(node.name)}"]
        d = spec.defaults
        out += _assignments(replace(node, name=""), Node("", None, d.user, d.sudo, d.port))
    for volume in spec.volumes:
        out += ["", "[[volumes]]", f"name = {_toml(volume.name)}", f"replica = {volume.replica}"]
        out += _assignments(replace(volume, name="gv", replica=2), VolumeSpec())
    return "\n".join(out) + "\n"
