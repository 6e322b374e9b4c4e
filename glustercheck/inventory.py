"""An Ansible inventory as the cluster's node list, read with Ansible's own `ansible-inventory`
(INI, YAML, plugins and group_vars all work as Ansible reads them; nothing is parsed by hand here).

    inventory = load_inventory(Path("hosts.ini"))
    nodes = inventory.nodes("gluster")      # the group's hosts in inventory order, as spec Nodes
"""

from __future__ import annotations

import ipaddress
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glustercheck.errors import GlusterCheckError
from glustercheck.spec import Node

TIMEOUT = 60.0
_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n"}


class InventoryError(GlusterCheckError, ValueError):
    """An inventory that cannot be read or used; names the file, the host or group, and why."""


def _command() -> str | None:
    """ansible-inventory on PATH, or next to this interpreter (a virtual environment's bin/)."""
    beside = Path(sys.executable).parent / "ansible-inventory"
    return shutil.which("ansible-inventory") or (str(beside) if beside.exists() else None)


def load_inventory(path: Path, *, timeout: float = TIMEOUT) -> Inventory:
    command = _command()
    if command is None:
        raise InventoryError(
            f"--ansible-inventory {path}: reading an Ansible inventory needs `ansible-inventory`: "
            "pip install 'gluster-verify[ansible]' (or apt-get install ansible-core)")
    if not path.is_file():
        raise InventoryError(f"--ansible-inventory {path}: no such file")
    # An inventory Ansible cannot parse is an error here, not a warning and an empty host list.
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0",
               ANSIBLE_INVENTORY_UNPARSED_FAILED="1", ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1")
    try:
        result = subprocess.run([command, "-i", str(path), "--list"], capture_output=True, text=True,
                                timeout=timeout, check=False, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise InventoryError(f"--ansible-inventory {path}: ansible-inventory did not answer within "
                             f"{timeout:g} s (a dynamic inventory plugin waiting for the network?)") from None
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip())[-800:]
        raise InventoryError(f"--ansible-inventory {path}: ansible-inventory failed: {detail}")
    try:
        data = json.loads(result.stdout)
    except ValueError as exc:
        raise InventoryError(
            f"--ansible-inventory {path}: ansible-inventory printed no JSON: {exc}") from None
    return Inventory(path, data)


@dataclass(frozen=True)
class Inventory:
    path: Path
    data: Mapping[str, Any]  # `ansible-inventory --list` output

    @property
    def groups(self) -> list[str]:
        return sorted(k for k in self.data if k != "_meta")

    @property
    def hostvars(self) -> Mapping[str, Mapping[str, Any]]:
        meta: Mapping[str, Any] = self.data.get("_meta", {})
        found: Mapping[str, Mapping[str, Any]] = meta.get("hostvars", {})
        return found

    def hosts(self, pattern: str) -> list[str]:
        """A group's hosts (its child groups' too) in inventory order, or one host by name."""
        if pattern in self.data and pattern != "_meta":
            return list(dict.fromkeys(self._walk(pattern, set())))
        if pattern in self.hostvars:
            return [pattern]
        groups = ", ".join(g for g in self.groups if g not in ("all", "ungrouped"))
        raise InventoryError(f"--ansible-inventory {self.path}: no group or host {pattern!r} "
                             f"(groups: {groups or 'none'})")

    def _walk(self, group: str, seen: set[str]) -> list[str]:
        if group in seen:
            return []
        seen.add(group)
        entry = self.data.get(group, {})
        found = list(entry.get("hosts", []))
        for child in entry.get("children", []):
            found += self._walk(child, seen)
        return found

    def nodes(self, pattern: str) -> list[Node]:
        return [self.node(name) for name in self.hosts(pattern)]

    def node(self, name: str) -> Node:
        """The host as a spec node: ansible_host, _user, _port, _become(_user), the private key and
        a ProxyJump from ansible_ssh_common_args / ansible_ssh_extra_args."""
        hv = self.hostvars.get(name, {})
        where = f"--ansible-inventory {self.path}: host {name}"
        host = _text(hv.get("ansible_host"))
        address, ssh_host = None, host
        if host is not None:
            try:
                parsed = ipaddress.ip_address(host)
            except ValueError:
                parsed = None
            if parsed is not None and not parsed.is_loopback:
                address, ssh_host = str(parsed), None
        method = _text(hv.get("ansible_become_method")) or "sudo"
        if method != "sudo":
            raise InventoryError(f"{where}: ansible_become_method {method!r} is not supported "
                                 "(this suite runs what needs root through `sudo -n`)")
        key = _text(hv.get("ansible_ssh_private_key_file") or hv.get("ansible_private_key_file"))
        return Node(
            name=name, address=address,
            user=_text(hv.get("ansible_user") or hv.get("ansible_ssh_user")),
            sudo=_bool(hv.get("ansible_become"), f"{where}: ansible_become"),
            port=_port(hv.get("ansible_port") or hv.get("ansible_ssh_port"), where),
            sudo_user=_text(hv.get("ansible_become_user")),
            proxy_jump=_proxy_jump(" ".join(_text(hv.get(k)) or "" for k in (
                "ansible_ssh_common_args", "ansible_ssh_extra_args")), where),
            identity_file=Path(key).expanduser() if key else None,
            ssh_host=ssh_host,
        )


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _bool(value: Any, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise InventoryError(f"{where}: {value!r} is not a boolean (true/false, yes/no)")


def _port(value: Any, where: str) -> int | None:
    if value is None:
        return None
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536:
        raise InventoryError(f"{where}: ansible_port {value!r} is not a TCP port (1-65535)")
    return port


def _proxy_jump(args: str, where: str) -> str | None:
    """`-J X`, `-o ProxyJump=X` or `-o ProxyJump X`; a ProxyCommand there must move to ssh_config."""
    words = shlex.split(args)
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else ""
        if word == "-J" and following:
            return following
        if word.startswith("-J") and len(word) > 2:
            return word[2:]
        option = following if word == "-o" else word[2:] if word.startswith("-o") else ""
        key, _, value = option.replace(" ", "=", 1).partition("=")
        if key.lower() == "proxyjump" and value:
            return value
        if key.lower() == "proxycommand":
            raise InventoryError(f"{where}: a ProxyCommand in ansible_ssh_common_args is not "
                                 "supported: put it in ~/.ssh/config (Host ... ProxyCommand ...)")
    return None
