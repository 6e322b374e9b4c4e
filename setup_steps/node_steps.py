"""Steps 1-3, per node: /etc/hosts managed block, the glusterfs-server package, glusterd running."""

from __future__ import annotations

from glustercheck.hosts_file import update_hosts
from glustercheck.remote import quote
from setup_steps.context import SetupContext, SetupError

BACKUP = "/etc/hosts.glustercheck.orig"
# Write to a temp file on the same filesystem, keep owner and mode, then rename: atomic.
WRITE_HOSTS = (
    f"set -e; [ -e {BACKUP} ] || cp -p /etc/hosts {BACKUP}; "
    "t=$(mktemp /etc/.hosts.glustercheck.XXXXXX); cat > \"$t\"; "
    "chown --reference=/etc/hosts \"$t\"; chmod --reference=/etc/hosts \"$t\"; mv -f \"$t\" /etc/hosts"
)
ENABLED_LINK = "/etc/systemd/system/multi-user.target.wants/glusterd.service"


def hosts_file(ctx: SetupContext, node: str) -> None:
    nodes = ctx.run.spec.nodes
    if any(n.address is None for n in nodes):
        ctx.inspected(node, "/etc/hosts not managed: the spec gives no address for some nodes")
        return
    entries = [(n.name, n.address) for n in nodes if n.address]
    current = ctx.sh(node, "cat /etc/hosts").stdout
    edit = update_hosts(current, entries, replace_conflicts=ctx.apply and ctx.replace_hosts_conflicts)
    ctx.inspected(node, f"/etc/hosts ({len(current.splitlines())} lines)")
    for conflict in edit.conflicts:
        ctx.problem(node, f"/etc/hosts {conflict.describe()}: left alone "
                          "(--apply --replace-hosts-conflicts comments it out)")
    if not edit.changed:
        return
    if not ctx.apply:
        ctx.missing(node, "/etc/hosts does not list every cluster node with its spec address")
        return
    result = ctx.sh(node, WRITE_HOSTS, stdin=edit.text)
    if result.rc != 0:
        raise SetupError(f"{node}: could not write /etc/hosts: {result.stderr.strip()}")
    ctx.changed(node, f"/etc/hosts: managed block with {len(entries)} nodes written "
                      f"(original kept as {BACKUP})")
    for conflict in edit.replaced:
        ctx.changed(node, f"/etc/hosts: {conflict.describe()}: commented out / name removed")


def package(ctx: SetupContext, node: str) -> None:
    status = ctx.sh(node, "dpkg-query -W -f='${Status} ${Version}' glusterfs-server 2>/dev/null")
    if status.stdout.startswith("install ok installed"):
        ctx.inspected(node, f"glusterfs-server {status.stdout.split()[-1]} installed")
        return
    if not ctx.apply:
        ctx.missing(node, "package glusterfs-server is not installed")
        return
    result = ctx.sh(node, "DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "
                          "-q -y install glusterfs-server", timeout=900)
    if result.rc != 0:
        raise SetupError(
            f"{node}: `apt-get install glusterfs-server` failed (rc={result.rc}); is the package "
            f"registry reachable from {node}? {result.stderr.strip()[-500:]}")
    ctx.changed(node, "installed glusterfs-server")


def daemon(ctx: SetupContext, node: str) -> None:
    state = ctx.sh(node, f"cat /proc/1/comm; pgrep -x glusterd >/dev/null && echo running || "
                         f"echo stopped; systemctl is-enabled glusterd 2>/dev/null || "
                         f"([ -e {ENABLED_LINK} ] && echo enabled) || echo disabled").stdout.split()
    systemd, running, enabled = state[0] == "systemd", state[1] == "running", state[-1] == "enabled"
    ctx.inspected(node, f"glusterd {'running' if running else 'stopped'}, "
                        f"{'enabled' if enabled else 'not enabled'} at boot")
    if running and enabled:
        return
    if not ctx.apply:
        lacks = [what for what, ok in (("not running", running), ("not enabled at boot", enabled))
                 if not ok]
        ctx.missing(node, "glusterd " + " and ".join(lacks))
        return
    if systemd:
        command = "systemctl enable --now glusterd"
    else:  # no systemd as PID 1: enable as systemctl would (the link), start it directly
        command = (f"mkdir -p {quote(ENABLED_LINK.rsplit('/', 1)[0])} && "
                   f"ln -sf /lib/systemd/system/glusterd.service {ENABLED_LINK} && "
                   "(pgrep -x glusterd >/dev/null || /usr/sbin/glusterd -p /run/glusterd.pid)")
    # Wait until glusterd answers: it listens a moment after the process starts.
    command += ("; for i in $(seq 60); do gluster --mode=script pool list >/dev/null 2>&1 && exit 0;"
                " sleep 0.5; done; echo 'glusterd did not answer within 30 s' >&2; exit 1")
    result = ctx.sh(node, command, timeout=60)
    if result.rc != 0:
        raise SetupError(f"{node}: could not start glusterd: {result.stderr.strip()[-500:]}")
    if not running:
        ctx.changed(node, "started glusterd")
    if not enabled:
        ctx.changed(node, "enabled glusterd at boot")
