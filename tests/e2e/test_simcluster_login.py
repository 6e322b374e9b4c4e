"""The simulated nodes log in like Raspberry Pi OS: root refused, `pi` with a key and passwordless
sudo."""

from __future__ import annotations

import pytest

from simcluster import SimCluster
from tests.e2e.test_simcluster import ssh
from tests.e2e.user_ssh import CONTROLLER, SshdLogs

pytestmark = pytest.mark.e2e

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
