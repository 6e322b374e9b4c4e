"""The cluster summary that opens the HTML report, rendered from a summary dict (no pytest)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from html import escape
from typing import Any

from glustercheck.report.history import describe_age
from glustercheck.report.model import BAD_OUTCOMES, CANNOT_CHECK, DEGRADED, HEALTHY, cause_line
from glustercheck.report.svg import topology_svg

STYLE = """
body{display:flex;flex-direction:column;font-size:15px}
#environment-header,#environment{order:10}
.gc{font-family:system-ui,sans-serif;max-width:1300px;margin:0 0 24px 0;color:#1c2429}
.gc h3{margin:22px 0 8px;font-size:18px;border-bottom:1px solid #cfd8dc;padding-bottom:4px}
.gc table{border-collapse:collapse;margin:4px 0 8px}
.gc th,.gc td{border:1px solid #cfd8dc;padding:5px 10px;text-align:left;vertical-align:top}
.gc th{background:#eceff1}
.gc-verdict{padding:16px 20px;border-radius:8px;font-size:26px;font-weight:bold;color:#fff}
.gc-verdict small{display:block;font-size:16px;font-weight:normal;margin-top:4px}
.gc-healthy{background:#2e7d32}.gc-degraded{background:#c62828}.gc-cannot-check{background:#6d4c41}
.gc-fail-list li{margin:3px 0}.gc-fail-list a{color:#b71c1c;font-weight:bold}
.gc .ok{background:#dff3e4;color:#1b5e20}.gc .bad{background:#fde0dc;color:#b71c1c;font-weight:bold}
.gc .warn{background:#fff3cd;color:#7a5b00}.gc .na{background:#eceff1;color:#607d8b}
.gc-matrix td{text-align:center;min-width:90px}
.gc-new{color:#b71c1c;font-weight:bold}.gc-persistent{color:#7a5b00;font-weight:bold}
.gc-fixed{color:#1b5e20;font-weight:bold}
.gc-volume{margin:10px 0 18px}.gc-muted{color:#546e7a}
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def _version(facts: Mapping[str, Any] | None) -> str:
    if not facts or not facts.get("version"):
        return "not installed" if facts else "?"
    return ".".join(str(v) for v in facts["version"])


def verdict_html(summary: Mapping[str, Any]) -> str:
    word = {HEALTHY: "HEALTHY", DEGRADED: "DEGRADED", CANNOT_CHECK: "CANNOT CHECK"}[summary["verdict"]]
    c = summary["counts"]
    out = [f'<div class="gc-verdict gc-{_e(summary["verdict"])}" id="gc-verdict">Cluster {word}'
           f'<small>{_e(summary["reason"])} &middot; {c["passed"]} passed, {c["failed"]} failed, '
           f'{c["error"]} errors, {c["skipped"]} not applicable &middot; run at '
           f'{_e(_when(summary["started"]))}, {summary["duration"]:.0f} s</small></div>']
    bad = [ch for ch in summary.get("checks", []) if ch["outcome"] in BAD_OUTCOMES]
    causes = summary.get("causes") or []
    if bad and causes:
        anchors = {ch["id"]: ch["anchor"] for ch in bad}
        out.append('<h3 id="gc-causes">Root causes</h3><ol class="gc-cause-list">')
        for cause in causes:
            links = ", ".join(f'<a href="#{_e(anchors.get(c, ""))}">{_e(c.split("::")[-1])}</a>'
                              for c in cause["checks"])
            out.append(f'<li><b>{_e(cause_line(cause))}</b>'
                       + (f'<br>fix: <code>{_e(cause["fix"])}</code>' if cause.get("fix") else "")
                       + f'<br><span class="gc-muted">explains: {links}</span></li>')
        out.append("</ol>")
    if bad:
        out.append('<h3>What failed</h3><ul class="gc-fail-list">')
        out += [f'<li><a href="#{_e(ch["anchor"])}">{_e(ch["id"].split("::")[-1])}</a> '
                f'&mdash; {_e(ch["message"])}</li>' for ch in bad]
        out.append("</ul>")
    return "".join(out)


def trend_html(info: Mapping[str, Any] | None) -> str:
    if not info:
        return ""
    if info.get("first_run"):
        return '<h3>Since the previous run</h3><p class="gc-muted">First nightly run: nothing to ' \
               "compare with yet.</p>"
    out = [f'<h3 id="gc-trend">Since the previous run ({_e(_when(info["previous"]))})</h3>',
           f'<p><span class="gc-new">{len(info["new"])} new</span>, <span class="gc-persistent">'
           f'{len(info["persistent"])} persistent</span>, <span class="gc-fixed">'
           f'{len(info["fixed"])} fixed</span></p><ul>']
    out += [f'<li><span class="gc-new">NEW</span> {_e(c["id"])} &mdash; {_e(c["message"])}</li>'
            for c in info["new"]]
    out += [f'<li><span class="gc-persistent">PERSISTENT</span> {_e(c["id"])} &mdash; failing since '
            f'{_e(_when(c["since"]))} ({c["runs"]} runs, {_e(describe_age(c["for_seconds"]))}): '
            f'{_e(c["message"])}</li>' for c in info["persistent"]]
    out += [f'<li><span class="gc-fixed">FIXED</span> {_e(c["id"])}</li>' for c in info["fixed"]]
    return "".join(out) + "</ul>"


def nodes_html(summary: Mapping[str, Any]) -> str:
    nodes, errors = summary.get("nodes", {}), summary.get("node_errors", {})
    out = ['<h3 id="gc-nodes">Nodes</h3><table><tr><th>node</th><th>address</th><th>gluster</th>'
           "<th>glusterd</th><th>reachable (SSH)</th><th>links to others</th></tr>"]
    for node in summary.get("spec", {}).get("nodes", []):
        name, f = node["name"], nodes.get(node["name"])
        err = errors.get(name)
        reach = f'<td class="bad">{_e(err)}</td>' if err else (
            '<td class="ok">yes</td>' if f else '<td class="na">not gathered</td>')
        if f:
            links = list(f["links"].values())
            bad = [lk["target"] for lk in links if not (lk["resolved"] and lk["ping"] and lk["tcp"])]
            link_cell = (f'<td class="bad">broken to {_e(", ".join(bad))}</td>' if bad
                         else f'<td class="ok">{len(links)} ok</td>')
            gd = ('<td class="ok">running</td>' if f["glusterd_running"]
                  else '<td class="bad">stopped</td>')
        else:
            link_cell, gd = '<td class="na">?</td>', '<td class="na">?</td>'
        out.append(f"<tr><td><b>{_e(name)}</b></td><td>{_e(node.get('address') or '(resolved)')}"
                   f"</td><td>{_e(_version(f))}</td>{gd}{reach}{link_cell}</tr>")
    return "".join(out) + "</table>"


def _link_cell(link: Mapping[str, Any] | None) -> str:
    if link is None:
        return '<td class="na">?</td>'
    if not link["resolved"]:
        return '<td class="bad" title="name does not resolve">name</td>'
    if not link["ping"]:
        return '<td class="bad" title="no ICMP reply">icmp</td>'
    if not link["tcp"]:
        return '<td class="bad" title="glusterd 24007/tcp not reachable">tcp 24007</td>'
    return '<td class="ok">ok</td>'


def matrix_html(summary: Mapping[str, Any]) -> str:
    names = [n["name"] for n in summary.get("spec", {}).get("nodes", [])]
    nodes = summary.get("nodes", {})
    out = ['<h3 id="gc-matrix">Reachability by name (row reaches column: name, ICMP, TCP 24007)</h3>'
           '<table class="gc-matrix"><tr><th>from \\ to</th>']
    out += [f"<th>{_e(n)}</th>" for n in names]
    out.append("</tr>")
    for src in names:
        out.append(f"<tr><th>{_e(src)}</th>")
        for dst in names:
            if src == dst:
                out.append('<td class="na">&mdash;</td>')
            else:
                f = nodes.get(src)
                out.append(_link_cell(f["links"].get(dst) if f else None))
        out.append("</tr>")
    return "".join(out) + "</table>"


def peers_html(summary: Mapping[str, Any]) -> str:
    out = ['<h3 id="gc-peers">Peers as seen from each node</h3><table>'
           "<tr><th>node</th><th>peers</th></tr>"]
    nodes = summary.get("nodes", {})
    order = [n["name"] for n in summary.get("spec", {}).get("nodes", [])]
    for name in [n for n in order if n in nodes] + sorted(set(nodes) - set(order)):
        f = nodes[name]
        if f.get("peers") is None:
            out.append(f'<tr><td><b>{_e(name)}</b></td><td class="bad">'
                       f'{_e(f.get("peers_error") or "unknown")}</td></tr>')
            continue
        items = []
        for p in f["peers"]:
            good = p["connected"] and p["state"] == "Peer in Cluster"
            by_ip = p["hostname"].replace(".", "").isdigit()
            note = " (known by IP)" if by_ip else ""
            cls = "ok" if good and not by_ip else ("warn" if good else "bad")
            state = p["state"] + (", connected" if p["connected"] else ", DISCONNECTED")
            items.append(f'<span class="{cls}" style="padding:2px 6px;margin-right:6px">'
                         f'{_e(p["hostname"])}{note}: {_e(state)}</span>')
        out.append(f"<tr><td><b>{_e(name)}</b></td><td>{''.join(items) or 'no peers'}</td></tr>")
    return "".join(out) + "</table>"


def _maps(summary: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    by_address = {n["address"]: n["name"] for n in summary.get("spec", {}).get("nodes", [])
                  if n.get("address")}
    by_uuid = {f["uuid"]: name for name, f in summary.get("nodes", {}).items() if f.get("uuid")}
    return by_address, by_uuid


def volumes_html(summary: Mapping[str, Any]) -> str:
    cluster = summary.get("cluster")
    out = ['<h3 id="gc-volumes">Volumes</h3>']
    if not cluster:
        return out[0] + '<p class="gc-muted">No volume state was read in this run.</p>'
    names = [n["name"] for n in summary.get("spec", {}).get("nodes", [])]
    by_address, by_uuid = _maps(summary)
    for error_key, error in cluster.get("errors", {}).items():
        out.append(f'<p class="bad">{_e(error_key)}: {_e(error)}</p>')
    for vname in summary.get("spec", {}).get("volumes", []) or list(cluster["volumes"]):
        volume = cluster["volumes"].get(vname)
        if volume is None:
            out.append(f'<p class="bad">volume {_e(vname)} does not exist</p>')
            continue
        status_cls = "ok" if volume["status"] == "Started" else "bad"
        out.append(f'<div class="gc-volume" id="gc-volume-{_e(vname)}"><b>{_e(vname)}</b>: '
                   f'{_e(volume["true_type"])}, {len(volume["bricks"])} bricks, '
                   f'<span class="{status_cls}">{_e(volume["status"])}</span>'
                   f' <span class="gc-muted">(as {_e(cluster["source"])} reports it)</span><br>')
        out.append(topology_svg(vname, volume, cluster.get("status"), names,
                                by_address=by_address, by_uuid=by_uuid))
        out.append(brick_table(summary, vname, volume, by_address, by_uuid) + "</div>")
    return "".join(out)


def brick_table(summary: Mapping[str, Any], vname: str, volume: Mapping[str, Any],
                by_address: Mapping[str, str], by_uuid: Mapping[str, str]) -> str:
    cluster = summary["cluster"]
    heal = cluster.get("heal", {}).get(vname)
    heal_by = {(b["host"], b["path"]): b for b in (heal or {}).get("bricks", [])}
    out = ["<table><tr><th>brick</th><th>pending heal</th><th>disk used</th><th>inodes used</th></tr>"]
    for b in volume["bricks"]:
        node = by_uuid.get(b.get("host_uuid") or "", by_address.get(b["host"], b["host"]))
        if heal is None:
            heal_cell = '<td class="na">not read</td>'
        elif not heal["applicable"]:
            heal_cell = '<td class="na">n/a (distribute)</td>'
        else:
            hb = heal_by.get((b["host"], b["path"]))
            if hb is None or not hb["connected"]:
                heal_cell = f'<td class="bad">{_e(hb["status"] if hb else "not listed")}</td>'
            else:
                n = hb["entries"]
                heal_cell = f'<td class="{"ok" if n == 0 else "bad"}">{_e("?" if n is None else n)}</td>'
        disk = summary.get("nodes", {}).get(node, {}).get("disks", {}).get(b["path"])
        if disk:
            pct = 100.0 * disk["used"] / disk["size"] if disk["size"] else 0.0
            ipct = 100.0 * disk["inodes_used"] / disk["inodes"] if disk["inodes"] else 0.0
            cells = "".join(f'<td class="{"ok" if p < 80 else "warn" if p < 90 else "bad"}">{p:.0f} %'
                            f"{extra}</td>" for p, extra in
                            ((pct, f" of {disk['size'] / 2**30:.1f} GiB"), (ipct, "")))
        else:
            cells = '<td class="na">?</td><td class="na">?</td>'
        out.append(f"<tr><td>{_e(node)}:{_e(b['path'])}</td>{heal_cell}{cells}</tr>")
    return "".join(out) + "</table>"


def setup_html(summary: Mapping[str, Any]) -> str:
    setup = summary.get("setup")
    if not setup:
        return ""
    mode = "apply" if setup["apply"] else "check-only"
    count = sum(len(v) for v in setup["changed"].values())
    out = [f'<h3 id="gc-setup">Setup steps ({mode}, {setup["seconds"]:.1f} s): '
           f"{count} change(s) in this run</h3><ul>"]
    for title, key in (("changed", "changed"), ("missing", "missing"), ("problem", "problems"),
                       ("ERROR", "errors")):
        for where, items in sorted(setup.get(key, {}).items()):
            out += [f"<li><b>{_e(where)}</b> {title}: {_e(item)}</li>" for item in items]
    if len(out) == 1:
        out.append("<li>nothing to change: the cluster already matched the spec</li>")
    return "".join(out) + "</ul>"


def summary_html(summary: Mapping[str, Any]) -> str:
    """The whole cluster summary block (with its own style), for pytest-html's summary prefix."""
    return ('<style>' + STYLE + '</style><div class="gc" id="gc-summary">' + verdict_html(summary)
            + trend_html(summary.get("trend")) + nodes_html(summary) + matrix_html(summary)
            + peers_html(summary) + volumes_html(summary) + setup_html(summary) + "</div>")
