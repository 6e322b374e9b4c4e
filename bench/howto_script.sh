#!/bin/sh
# The how-to's commands as a plain script: the baseline `pytest --apply` is measured against
# (bench/bench_suite.py). What a careful person types over ssh, with nothing checked beyond the
# exit status of each command:
#
#   sh bench/howto_script.sh SSH_CONFIG [--fresh] rpi0=10.0.1.0 rpi1=10.0.1.1 ...
#
# 1. on every node at once: /etc/hosts gets a line per node (the `127.0.1.1 <own name>` line that
#    Debian writes is dropped), [--fresh: apt-get install glusterfs-server,] glusterd enabled at
#    boot and started (systemctl, or the unit's wants link and glusterd itself without systemd);
# 2. from the first node: `gluster peer probe` each other node, then wait until all are connected;
# 3. from the second node: probe the first back by name (it knows the first only by address);
# 4. from the first node: `gluster volume create gv replica 2 <bricks in node order>`, `start`
#    (--mode=script answers gluster's replica 2 split-brain question, as a person types `y`).
set -eu

config=$1
shift
fresh=no
if [ "${1:-}" = --fresh ]; then fresh=yes; shift; fi
[ $# -ge 2 ] || { echo "usage: $0 SSH_CONFIG [--fresh] NAME=ADDRESS NAME=ADDRESS..." >&2; exit 64; }

names="" hosts="" bricks="" count=0
for node in "$@"; do
  names="$names ${node%%=*}"
  hosts="$hosts${node#*=} ${node%%=*}
"
  bricks="$bricks ${node%%=*}:/mnt/usb/gv"
  count=$((count + 1))
done
set -- $names
first=$1 second=$2

on() {  # on NODE: run stdin as a root shell script there
  ssh -F "$config" -o BatchMode=yes "$1" sudo sh -s
}

node_setup() {
  printf '%s\n' "set -e" "sed -i '/^127\\.0\\.1\\.1[[:space:]]/d' /etc/hosts" \
    "cat >> /etc/hosts <<'HOSTS'"
  printf '%sHOSTS\n' "$hosts"
  if [ $fresh = yes ]; then
    printf '%s\n' "export DEBIAN_FRONTEND=noninteractive" \
      "apt-get -q update && apt-get -q -y install glusterfs-server"
  fi
  cat <<'EOF'
if [ -d /run/systemd/system ]; then systemctl enable --now glusterd; else
  mkdir -p /etc/systemd/system/multi-user.target.wants
  ln -sf /lib/systemd/system/glusterd.service /etc/systemd/system/multi-user.target.wants/
  pgrep -x glusterd >/dev/null || /usr/sbin/glusterd -p /run/glusterd.pid
fi
until gluster peer status >/dev/null 2>&1; do sleep 0.2; done
EOF
}

pids=""
for node in $names; do
  node_setup | on "$node" >/dev/null &
  pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done

shift
on "$first" >/dev/null <<EOF
set -e
for peer in $*; do gluster peer probe \$peer; done
i=0
until [ "\$(gluster peer status | grep -c 'Peer in Cluster (Connected)')" -eq $((count - 1)) ]; do
  i=\$((i + 1)); [ \$i -lt 600 ] || { echo 'peers did not connect' >&2; exit 1; }; sleep 0.2
done
EOF
echo "gluster peer probe $first" | on "$second" >/dev/null
on "$first" >/dev/null <<EOF
set -e
gluster --mode=script volume create gv replica 2$bricks
gluster volume start gv
EOF
