"""`simcluster`: bring a simulated GlusterFS cluster up and down, break it on purpose, look inside.

    simcluster up [--nodes 4] [--prefix rpi]   four "Raspberry Pis" rpi0..rpi3 (Debian 12, gluster 10.3)
    simcluster up --os trixie                  Debian 13 nodes, gluster 11.1
    simcluster up --os rpi0=bookworm,rpi1=trixie   a mixed cluster (unlisted nodes: bookworm)
    simcluster up --fresh                      nodes without gluster: `apt-get install glusterfs-server`
                                               installs it from the cluster's local package repository
    simcluster up --fs xfs                     the USB sticks' filesystem (default ext4)
    simcluster up --bastion                    rpi1.. refuse SSH from this machine: only through rpi0
    simcluster status                          one line per node
    simcluster stop rpi2 / start rpi2          power a node off / on (its disk survives)
    simcluster partition rpi2 / unpartition    cut / restore its network
    simcluster kill-glusterd rpi2 [--bricks]   kill only its glusterd (and brick processes)
    simcluster usb-unplug rpi2 / usb-plug rpi2 pull / plug its USB stick (/mnt/usb unmounted after
                                               the next boot: stop + start); then e.g.
    simcluster exec rpi2 -- mkdir -p /mnt/usb/gv   the brick directory on the root filesystem
    simcluster exec rpi2 -- gluster peer status
    simcluster ssh-config                      print the ssh_config path (use: ssh -F PATH rpi0)
    simcluster user-ssh-config [--bastion] [--agent] [--known-hosts ~/.ssh/known_hosts]
                                               print ~/.ssh/config blocks for the nodes (ProxyJump
                                               rpi0 for the others with --bastion), add host keys
    simcluster agent-add                       load the cluster's key into the ssh-agent ($SSH_AUTH_SOCK)
    simcluster down                            remove everything; safe at any time

Modelling real Pis (simcluster/latency.py, cpu_cap.py):
    simcluster up --latency 20ms [--jitter 5ms]   round trip added between this machine and each
                                               node (a relay on port 2022 that ssh_config names)
    simcluster up --cpu 0.25                   each node's processes capped to 0.25 CPUs
    simcluster latency 20ms [--jitter 5ms]     change it on the running cluster (0: none)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from simcluster import latency
from simcluster.cluster import SimCluster, SimClusterError
from simcluster.config import DEFAULT_STATE_DIR, FILESYSTEMS, VARIANTS, SimConfig
from simcluster.os_choice import describe
from simcluster.provision import known_hosts_lines
from simcluster.user_ssh import agent_add, merge_known_hosts, user_ssh_config

EX_USAGE = 64


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simcluster", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                        help=f"where keys, node files and state live (default {DEFAULT_STATE_DIR})")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="bring the cluster up from nothing")
    up.add_argument("--nodes", type=int, default=4, help="number of nodes (default 4)")
    up.add_argument("--prefix", default="rpi", help="node name prefix (default rpi)")
    up.add_argument("--disk-mb", type=int, default=None,
                    help="USB stick size per node in MB (sparse; default 128, xfs at least 300)")
    up.add_argument("--os", default="bookworm",
                    help="bookworm (gluster 10.3) or trixie (11.1), or per node: "
                         "rpi0=bookworm,rpi1=trixie (unlisted nodes: bookworm; a bare suite in "
                         "the list sets that default)")
    up.add_argument("--variant", choices=VARIANTS, default="full",
                    help="full: glusterfs-server installed; fresh: not (as a Pi after first boot)")
    up.add_argument("--fresh", action="store_const", const="fresh", dest="variant",
                    help="same as --variant fresh")
    up.add_argument("--fs", choices=tuple(FILESYSTEMS), default="ext4",
                    help="the USB sticks' filesystem (default ext4)")
    _model_options(up)
    lat = sub.add_parser("latency", help="change the latency to the running cluster's nodes")
    lat.add_argument("latency", help="round trip to add, e.g. 20ms (0: none)")
    lat.add_argument("--jitter", default="0", help="+- this much on each round trip, e.g. 5ms")
    up.add_argument("--bastion", action="store_true",
                    help="every node but the first refuses SSH from this machine: reach them "
                         "through the first (ProxyJump), as Pis behind one gateway Pi")
    sub.add_parser("down", help="power everything off and remove every trace")
    sub.add_parser("status", help="one line per node")
    sub.add_parser("ssh-config", help="print the path of the generated ssh_config")
    sub.add_parser("spec", help="print the path of the generated cluster spec")
    user = sub.add_parser("user-ssh-config",
                          help="print ~/.ssh/config blocks for the nodes (HostName, User, "
                               "IdentityFile, ProxyJump behind a bastion)")
    user.add_argument("--bastion", action="store_true",
                      help="ProxyJump through the first node for the others (default: only when "
                           "the cluster is up with --bastion)")
    user.add_argument("--agent", action="store_true",
                      help="no IdentityFile lines: the key comes from ssh-agent (simcluster agent-add)")
    user.add_argument("--known-hosts", type=Path, metavar="FILE",
                      help="also add the nodes' host keys to FILE (e.g. ~/.ssh/known_hosts), "
                           "replacing earlier lines for the same names")
    sub.add_parser("agent-add", help="load the cluster's key into the running ssh-agent "
                                     "($SSH_AUTH_SOCK)")
    for name, text in (("stop", "power a node off"), ("start", "power a node on"),
                       ("partition", "cut a node's network"),
                       ("unpartition", "restore a node's network"),
                       ("usb-unplug", "pull a node's USB stick (unmounted from its next boot)"),
                       ("usb-plug", "plug a node's USB stick back in")):
        sub.add_parser(name, help=text).add_argument("node")
    kill = sub.add_parser("kill-glusterd", help="kill a node's glusterd with SIGKILL")
    kill.add_argument("node")
    kill.add_argument("--bricks", action="store_true", help="also kill its brick processes")
    ex = sub.add_parser("exec", help="run a command inside a node as root")
    ex.add_argument("node")
    ex.add_argument("argv", nargs=argparse.REMAINDER)
    return parser




def _model_options(up: argparse.ArgumentParser) -> None:
    up.add_argument("--latency", default="0",
                    help="round trip added between this machine and each node, e.g. 20ms (a "
                         "delaying relay on each node's port 2022; ssh_config points there)")
    up.add_argument("--jitter", default="0", help="+- this much on each round trip, e.g. 5ms")
    up.add_argument("--cpu", type=float, default=None,
                    help="cap each node's processes to this many CPUs, e.g. 0.25 (a cgroup each)")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else EX_USAGE
    if os.geteuid() != 0:
        print("simcluster: must run as root (it creates namespaces, links and mounts)",
              file=sys.stderr)
        return 1
    try:
        return _dispatch(args)
    except (RuntimeError, ValueError) as exc:  # SimClusterError, UserSshError, host commands: why
        print(f"simcluster: {exc}", file=sys.stderr)
        return 1


def _up(args: argparse.Namespace) -> int:
    cluster = SimCluster(SimConfig(prefix=args.prefix, count=args.nodes,
                                   state_dir=args.state_dir, disk_size_mb=args.disk_mb,
                                   os=args.os, variant=args.variant, fs=args.fs,
                                   bastion=args.bastion,
                                   latency_ms=latency.parse_ms(args.latency),
                                   jitter_ms=latency.parse_ms(args.jitter, "--jitter"),
                                   cpu=args.cpu))
    started = time.monotonic()
    for note in cluster.up():
        print(note)
    print(f"{args.nodes} nodes up in {time.monotonic() - started:.1f} s: "
          f"{', '.join(cluster.config.names)}; {describe(cluster.config.suites)}, "
          f"{args.variant} image, USB sticks {cluster.config.fs}")
    first = cluster.config.names[0]
    print(f"ssh:  ssh -F {cluster.config.ssh_config} {first}  (as {cluster.config.login_user}, "
          "with passwordless sudo; root may not log in, as on Raspberry Pi OS)")
    if cluster.config.bastion:
        print(f"bastion: only {first} accepts SSH from this machine; the others through it "
              f"(ProxyJump {first})")
    print(f"spec: {cluster.config.spec_file}")
    if cluster.config.latency_ms or cluster.config.cpu is not None:
        print(_model(cluster))
    print("your own ~/.ssh: simcluster user-ssh-config --known-hosts ~/.ssh/known_hosts "
          ">> ~/.ssh/config")
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "up":
        return _up(args)
    if args.command == "agent-add":
        print(agent_add(SimConfig(state_dir=args.state_dir).client_key,
                        os.environ.get("SSH_AUTH_SOCK")))
        return 0
    if args.command == "down":
        try:
            cluster = SimCluster.from_state(args.state_dir)
        except SimClusterError:
            cluster = SimCluster(SimConfig(state_dir=args.state_dir))
        cluster.down()
        print("simulated cluster removed")
        return 0
    cluster = SimCluster.from_state(args.state_dir)
    if args.command == "status":
        for state in cluster.status():
            print(f"{state.name:<8} {state.address:<12} {state.summary}")
    elif args.command == "ssh-config":
        print(cluster.config.ssh_config)
    elif args.command == "latency":
        cluster.set_latency(latency.parse_ms(args.latency), latency.parse_ms(args.jitter, "--jitter"))
        print(_model(cluster))
    elif args.command == "spec":
        print(cluster.config.spec_file)
    elif args.command == "user-ssh-config":
        return _user_ssh_config(cluster, args)
    elif args.command == "stop":
        cluster.stop_node(args.node)
    elif args.command == "start":
        cluster.start_node(args.node)
    elif args.command == "partition":
        cluster.partition(args.node)
    elif args.command == "unpartition":
        cluster.unpartition(args.node)
    elif args.command == "usb-unplug":
        cluster.usb_unplug(args.node)
        print(f"{args.node}: USB stick pulled; after its next boot (simcluster stop {args.node}; "
              f"simcluster start {args.node}) /mnt/usb is not mounted")
    elif args.command == "usb-plug":
        cluster.usb_plug(args.node)
        print(f"{args.node}: USB stick plugged in (/dev/sda1); mounted at /mnt/usb from its next boot")
    elif args.command == "kill-glusterd":
        cluster.kill_glusterd(args.node, bricks=args.bricks)
    elif args.command == "exec":
        argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        if not argv:
            print("simcluster exec: give a command, e.g. simcluster exec rpi0 -- hostname",
                  file=sys.stderr)
            return EX_USAGE
        result = cluster.exec(args.node, argv, check=False, timeout=600)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        return result.returncode
    return 0


def _model(cluster: SimCluster) -> str:
    c = cluster.config
    cpu = f"; each node capped to {c.cpu:g} CPUs" if c.cpu is not None else ""
    return f"model: {latency.describe(c.latency_ms, c.jitter_ms)}{cpu}"


def _user_ssh_config(cluster: SimCluster, args: argparse.Namespace) -> int:
    config = cluster.config
    sys.stdout.write(user_ssh_config(config, bastion=args.bastion or config.bastion,
                                     agent=args.agent))
    if args.known_hosts is not None:
        path = args.known_hosts.expanduser()
        dropped = merge_known_hosts(path, config, known_hosts_lines(config))
        replaced = f", replacing {dropped} older line(s) for them" if dropped else ""
        print(f"host keys of {', '.join(config.names)} added to {path}{replaced}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
