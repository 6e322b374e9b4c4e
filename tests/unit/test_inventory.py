"""Ansible inventories read through Ansible's own `ansible-inventory` (offline: a local file)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from glustercheck.inventory import InventoryError, load_inventory
from glustercheck.spec import Node

pytestmark = pytest.mark.skipif(shutil.which("ansible-inventory") is None
                                and not (Path(__file__).parents[2] / ".venv/bin/ansible-inventory").exists(),
                                reason="ansible-core is a test dependency (pip install '.[test]')")

INI = """
[gluster]
rpi0 ansible_host=10.0.1.0
rpi1 ansible_host=10.0.1.1 ansible_port=2222
rpi2 ansible_host=pi2.lan ansible_user=admin ansible_become=yes ansible_become_user=gluster

[gluster:vars]
ansible_user=pi
ansible_ssh_private_key_file=~/.ssh/pi_key

[far]
rpi3 ansible_host=10.0.1.3 ansible_ssh_common_args='-o ProxyJump=pi@rpi0'

[cluster:children]
gluster
far
"""


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))  # ansible-inventory keeps its temp files there
    path = tmp_path / "hosts.ini"
    path.write_text(INI)
    return path


def test_a_group_becomes_nodes_in_inventory_order(inventory: Path) -> None:
    nodes = load_inventory(inventory).nodes("gluster")
    key = Path.home() / ".ssh" / "pi_key"
    assert nodes == [
        Node("rpi0", "10.0.1.0", "pi", identity_file=key),
        Node("rpi1", "10.0.1.1", "pi", port=2222, identity_file=key),
        Node("rpi2", None, "admin", sudo=True, sudo_user="gluster", identity_file=key, ssh_host="pi2.lan"),
    ]


def test_child_groups_and_a_proxy_jump(inventory: Path) -> None:
    loaded = load_inventory(inventory)
    assert [n.name for n in loaded.nodes("cluster")] == ["rpi0", "rpi1", "rpi2", "rpi3"]
    assert loaded.node("rpi3").proxy_jump == "pi@rpi0"
    assert [n.name for n in loaded.nodes("rpi1")] == ["rpi1"]  # a host name works as a pattern


def test_an_unknown_group_names_the_known_ones(inventory: Path) -> None:
    expected = r"no group or host 'glusterfs' \(groups: cluster, far, gluster\)"
    with pytest.raises(InventoryError, match=expected):
        load_inventory(inventory).nodes("glusterfs")


def test_a_broken_inventory_says_what_ansible_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    bad = tmp_path / "bad.yml"
    bad.write_text("all: [unclosed\n")
    with pytest.raises(InventoryError, match=r"bad\.yml: ansible-inventory failed"):
        load_inventory(bad).nodes("all")
    with pytest.raises(InventoryError, match="no such file"):
        load_inventory(tmp_path / "missing.ini")


def test_become_methods_other_than_sudo_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "su.ini"
    path.write_text("[g]\nrpi0 ansible_become=true ansible_become_method=su\n")
    with pytest.raises(InventoryError, match="ansible_become_method 'su' is not supported"):
        load_inventory(path).node("rpi0")
