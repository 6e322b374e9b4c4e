#!/bin/sh
# The suite's checks as a plain script: the floor check-only runs are measured against
# (bench/bench_suite.py). One `ssh NODE sudo sh -s` per node, all at once, each running what a
# careful person types to check that node (the assertions of bench/naive_testinfra, with nothing
# reported beyond the first failing command); the first two nodes also carry the data path:
#
#   sh bench/floor_script.sh SSH_CONFIG VOLUME BRICK_PATH rpi0=10.0.1.0 rpi1=10.0.1.1 ...
#
# every node: each name resolves to its address; each peer answers ping and glusterd's 24007/tcp
#   (all peers at once); glusterfs-server installed, glusterd running and enabled at boot; its
#   version and op-version; N-1 peers `Peer in Cluster (Connected)`; the brick on a filesystem of
#   its own, below 80 % space and inodes;
# the first node: `volume info` (Started, N bricks), `volume status` (every brick and self-heal
#   daemon online), `volume heal info` (no entry pending, none in split-brain: heal info lists
#   those too); then mounts the volume and writes 64 KiB, renamed into place when complete;
# the second node: mounts the volume, waits for the file (up to 20 s), reads its SHA-256 and
#   where gluster placed it (pathinfo). Both remove the file and unmount on the way out, whatever
#   happened. The writer's and the reader's SHA-256 are compared here. Exit status 0 only when
#   every node's script succeeded.
set -eu

[ $# -ge 5 ] || { echo "usage: $0 SSH_CONFIG VOLUME BRICK_PATH NAME=ADDRESS NAME=ADDRESS..." >&2
  exit 64; }
config=$1 volume=$2 brick=$3
shift 3
count=$#
pairs="$*"
names=""
for node in "$@"; do names="$names ${node%%=*}"; done
set -- $names
first=$1 second=$2
file="floor-$$-$(date +%s%N)"
mnt="/mnt/$file"

node_checks() {  # NAME: the checks of one node, as a sh script
  cat <<EOF
set -eu
for p in $pairs; do getent ahostsv4 "\${p%%=*}" | grep -q "^\${p#*=} "; done
getent ahostsv4 "$1" | grep -qv '^127\.'
pids=
for n in $names; do [ "\$n" = "$1" ] && continue
  ping -c1 -W1 "\$n" >/dev/null & pids="\$pids \$!"
  timeout 2 bash -c "exec 3<>/dev/tcp/\$n/24007" & pids="\$pids \$!"
done
for p in \$pids; do wait "\$p"; done
dpkg-query -W -f='\${Status}' glusterfs-server | grep -q 'install ok installed'
pgrep -x glusterd >/dev/null
[ -e /etc/systemd/system/multi-user.target.wants/glusterd.service ] || systemctl -q is-enabled glusterd
gluster --version | head -1
sed -n 's/^operating-version=//p' /var/lib/glusterd/glusterd.info
[ "\$(gluster peer status | grep -c '^State: Peer in Cluster (Connected)')" -eq $((count - 1)) ]
[ "\$(findmnt -n -o TARGET -T $brick)" != / ]
df --output=pcent,ipcent $brick | awk 'NR == 2 { exit !(\$1 + 0 < 80 && \$2 + 0 < 80) }'
EOF
}

volume_checks() {
  cat <<EOF
info=\$(gluster volume info $volume)
case \$info in *"Status: Started"*"Number of Bricks: "*"= $count"*) ;; *) exit 1 ;; esac
[ "\$(gluster volume status $volume | grep -Ec '^(Brick|Self-heal Daemon).* Y +[0-9]+ *\$')" -eq \
  $((count * 2)) ]
! gluster volume heal $volume info | grep -q '^Number of entries: [1-9]'
trap 'rm -f $mnt/.$file; umount $mnt 2>/dev/null || true; rmdir $mnt || true' EXIT
mkdir -p $mnt && mount -t glusterfs localhost:/$volume $mnt
head -c 65536 /dev/urandom > $mnt/.$file && sha256sum < $mnt/.$file && mv $mnt/.$file $mnt/$file
EOF
}

read_back() {
  cat <<EOF
trap 'rm -f $mnt/$file; umount $mnt 2>/dev/null || true; rmdir $mnt || true' EXIT
mkdir -p $mnt && mount -t glusterfs localhost:/$volume $mnt
i=0; until [ -e $mnt/$file ]; do i=\$((i + 1)); [ \$i -lt 400 ]; sleep 0.05; done
sha256sum < $mnt/$file
getfattr --absolute-names -n trusted.glusterfs.pathinfo $mnt/$file | grep -q "$brick/$file"
EOF
}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pids=""
for node in $names; do
  { node_checks "$node"
    [ "$node" = "$first" ] && volume_checks
    [ "$node" = "$second" ] && read_back
    true
  } | ssh -F "$config" -o BatchMode=yes "$node" sudo sh -s >"$out/$node" &
  pids="$pids $!"
done
failed=0
for pid in $pids; do wait "$pid" || failed=1; done
[ $failed = 0 ] || { echo "a node's checks failed" >&2; exit 1; }
[ "$(tail -1 "$out/$first")" = "$(tail -1 "$out/$second")" ] || {
  echo "$second read back other bytes than $first wrote" >&2; exit 1; }
