"""A simulated GlusterFS cluster on one Linux machine: real glusterd and real sshd per node.

Each node is a set of Linux namespaces (network, mount, UTS, IPC, PID) held by one long-lived init
process, with its own /etc, /var/lib/glusterd, logs, /run and a brick "disk" at /mnt/usb, on an
isolated bridge with no uplink. See `SimCluster` for the Python API and `simcluster --help` for the CLI.
"""

from simcluster.cluster import NodeState, SimCluster, SimClusterError
from simcluster.config import SimConfig

__all__ = ["NodeState", "SimCluster", "SimClusterError", "SimConfig"]
