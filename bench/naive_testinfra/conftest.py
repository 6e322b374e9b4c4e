"""A naive pytest-testinfra suite of the gluster-verify checks' assertions, written as a user of
testinfra writes one: one remote command per assertion, each node a `host`, no batching. It is
the benchmark's "before" picture (bench/bench_suite.py), not a supported way to check a cluster.

    pytest bench/naive_testinfra -p no:glustercheck --hosts=paramiko://rpi0,paramiko://rpi1,... \\
        --ssh-config=/var/lib/simcluster/ssh/ssh_config --sudo

The cluster (nodes, addresses, volume) comes from the spec simcluster writes ($NAIVE_SPEC).
"""

from __future__ import annotations

from typing import Any

import pytest
import testinfra


@pytest.fixture(scope="session")
def hosts(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Every node's testinfra Host, the same (cached) objects the `host` fixture hands out."""
    option = pytestconfig.option
    found = testinfra.get_hosts(option.hosts.split(","), connection=option.connection,
                                ssh_config=option.ssh_config,
                                ssh_identity_file=option.ssh_identity_file, sudo=option.sudo,
                                sudo_user=option.sudo_user, ansible_inventory=option.ansible_inventory,
                                force_ansible=option.force_ansible)
    return {h.backend.hostname: h for h in found}


@pytest.fixture
def name(host: Any) -> str:
    return str(host.backend.hostname)
