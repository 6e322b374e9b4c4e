"""Issue 15: hostile inputs at every entry point, one table per entry point.

Every case states the exact outcome (an exit status for commands, an error type for library entry
points) and a piece of text the message must contain to name the input; no case may print a
traceback or hang. Bounds: pytest-timeout's 30 s per case (signal method: a blocking open() of a
FIFO would be interrupted and fail the case), and `timeout=` on every subprocess.

Pytest entry points whose error comes before any connection run in-process (pytester, about 20 ms
each); runs that check the recorded cluster run in a subprocess with tests/unit/hostile_cluster.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from glustercheck.errors import MAX_MESSAGE, GlusterCheckError, ParseError, SpecError
from glustercheck.hosts_file import BEGIN, END, HostsFileError, update_hosts
from glustercheck.parsers import (
    parse_gluster_version,
    parse_heal_info,
    parse_peer_status,
    parse_volume_info,
    parse_volume_info_xml,
    parse_volume_status,
    parse_volume_status_xml,
)
from glustercheck.remote import ConnectionPool
from glustercheck.report import load_history, save_history
from glustercheck.spec import ClusterSpec, Node, with_nodes

pytest_plugins = ["pytester"]
pytestmark = [pytest.mark.timeout(30),
              # in-process pytest runs import the plugin again; pytest warns it cannot rewrite it
              pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USAGE, CANNOT_CHECK = 4, 3
NODES = "".join(f'[[nodes]]\nname = "rpi{i}"\naddress = "10.0.1.{i}"\n' for i in range(4))
GOOD_SPEC = NODES + '[defaults]\nuser = "pi"\nsudo = true\n[[volumes]]\nname = "gv"\nreplica = 2\n'


@pytest.fixture(autouse=True)
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile value that slipped through must fail here, not reach for the network."""
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("an in-process case tried to open an SSH connection")

    monkeypatch.setattr(ConnectionPool, "get", refuse)


def clean(text: str) -> None:
    assert "Traceback" not in text, text[-3000:]
    assert "INTERNALERROR" not in text, text[-3000:]


def run_inprocess(pytester: pytest.Pytester, *args: str) -> tuple[int, str]:
    # as pyproject.toml does: the Hypothesis plugin, loaded again in-process, upsets Hypothesis
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args)
    text = result.stdout.str() + result.stderr.str()
    clean(text)
    return int(result.ret), text


# --- the spec (pytest --spec) -----------------------------------------------------------------

@dataclass(frozen=True)
class SpecCase:
    id: str
    text: str  # TOML, or one of the special files below
    names: str  # what the message must contain


FIFO, DIRECTORY, DEVICE, BINARY, HUGE, MISSING = "<fifo>", "<dir>", "<dev>", "<bin>", "<huge>", "<none>"
LONG = "n" * 100_000

SPEC_CASES = [
    SpecCase("issue-injection", NODES.replace('"10.0.1.1"', '"fe80::1%x\\n6.6.6.6 rpi1 github.com"'),
             r"nodes[1].address: 'fe80::1%x\n6.6.6.6 rpi1 github.com' carries the IPv6 scope id"),
    SpecCase("scope-id-interface", '[[nodes]]\nname = "rpi0"\naddress = "fe80::1%eth0"\n',
             "'fe80::1%eth0' carries the IPv6 scope id 'eth0', which cannot be used"),
    SpecCase("link-local-v6", '[[nodes]]\nname = "rpi0"\naddress = "fe80::1"\n',
             "'fe80::1' is an IPv6 link-local address"),
    SpecCase("name-like-ip", '[[nodes]]\nname = "10.0.1.0"\naddress = "10.0.1.0"\n',
             "nodes[0].name: '10.0.1.0' reads as an IPv4 address"),
    SpecCase("name-all-digits", '[[nodes]]\nname = "7"\n', "nodes[0].name: '7' reads as an IPv4"),
    SpecCase("name-underscore", '[[nodes]]\nname = "rpi_0"\n', "'rpi_0' has the label 'rpi_0'"),
    SpecCase("name-newline", '[[nodes]]\nname = "rpi0\\nrpi1"\n', r"'rpi0\nrpi1' contains a newline"),
    SpecCase("name-localhost", '[[nodes]]\nname = "LocalHost"\naddress = "10.0.1.0"\n',
             "nodes[0].name: 'LocalHost' is a loopback name"),
    SpecCase("name-100k", f'[[nodes]]\nname = "{LONG}"\n', "is 100000 characters long"),
    SpecCase("address-loopback", '[[nodes]]\nname = "rpi0"\naddress = "127.0.1.1"\n',
             "'127.0.1.1' is a loopback/unspecified address"),
    SpecCase("address-multicast", '[[nodes]]\nname = "rpi0"\naddress = "224.0.0.1"\n',
             "'224.0.0.1' is a multicast address"),
    SpecCase("address-broadcast", '[[nodes]]\nname = "rpi0"\naddress = "255.255.255.255"\n',
             "'255.255.255.255' is a broadcast/reserved"),
    SpecCase("address-trailing-space", '[[nodes]]\nname = "rpi0"\naddress = "10.0.1.0 "\n',
             "'10.0.1.0 ' is not an IPv4 or IPv6 address (it contains a space at position 9)"),
    SpecCase("brick-dotdot", NODES + '[[volumes]]\nbrick_path = "/mnt/usb/../../etc"\n',
             "'/mnt/usb/../../etc' has a '.' or '..' component"),
    SpecCase("brick-nul", NODES + '[[volumes]]\nbrick_path = "/mnt/usb/g\\u0000v"\n',
             r"'/mnt/usb/g\x00v' contains a NUL byte at position 11"),
    SpecCase("brick-newline", NODES + '[[volumes]]\nbrick_path = "/mnt/usb/gv\\nrm"\n',
             r"'/mnt/usb/gv\nrm' contains a newline at position 12"),
    SpecCase("brick-space", NODES + '[[volumes]]\nbrick_path = "/mnt/usb/g v"\n',
             "'/mnt/usb/g v' contains a space at position 11"),
    SpecCase("brick-escape", NODES + '[[volumes]]\nbrick_path = "/mnt/\\u001b[2J"\n',
             r"'/mnt/\x1b[2J' contains the control or invisible character U+001B"),
    SpecCase("brick-bidi", NODES + '[[volumes]]\nbrick_path = "/mnt/\\u202egv"\n',
             "contains the control or invisible character U+202E"),
    SpecCase("brick-colon", NODES + '[[volumes]]\nbrick_path = "/mnt/usb:/gv"\n',
             "'/mnt/usb:/gv' contains ':'"),
    SpecCase("brick-relative", NODES + '[[volumes]]\nbrick_path = "mnt/usb/gv"\n',
             "'mnt/usb/gv' is not an absolute path"),
    SpecCase("brick-double-slash", NODES + '[[volumes]]\nbrick_path = "/mnt//usb/gv/"\n',
             "write it as '/mnt/usb/gv'"),
    SpecCase("brick-root", NODES + '[[volumes]]\nbrick_path = "/"\n', "'/' is the server's root"),
    SpecCase("bricks-entry-space", NODES + '[[volumes]]\nbricks = ["rpi0:/mnt/usb/a b", "rpi1:/b/c"]\n',
             "bricks[0]: brick 'rpi0:/mnt/usb/a b': its path contains a space"),
    SpecCase("brick-component-300", NODES + f'[[volumes]]\nbrick_path = "/mnt/{"c" * 300}"\n',
             "has a component of 300 characters"),
    SpecCase("volume-all", NODES + '[[volumes]]\nname = "all"\n',
             "volumes[0].name: 'all' is not a gluster volume name: it is a reserved word"),
    SpecCase("volume-help", NODES + '[[volumes]]\nname = "help"\n', "'help' is not a gluster volume"),
    SpecCase("volume-256", NODES + f'[[volumes]]\nname = "{"v" * 256}"\n',
             "is 256 characters long; glusterd stores at most 255"),
    SpecCase("volume-volfile", NODES + f'[[volumes]]\nname = "{"v" * 200}"\nbrick_path = "/mnt/{"p" * 60}"\n',
             "glusterd would refuse it as too long"),
    SpecCase("replica-1e18", NODES + "[[volumes]]\nreplica = 1000000000000000000\n",
             "volumes[0].replica: 1000000000000000000 is more than 1024"),
    SpecCase("option-key-newline", NODES + '[[volumes]]\noptions = { "a\\nb" = "on" }\n',
             r"'a\nb' is not a gluster option name"),
    SpecCase("option-value-escape", NODES + '[[volumes]]\noptions = { "auth.allow" = "1\\u001b" }\n',
             "contains the control or invisible character U+001B"),
    SpecCase("user-shell", '[defaults]\nuser = "pi;reboot"\n', "defaults.user: 'pi;reboot' a login"),
    SpecCase("nested-2000", "a = " + "[" * 2000 + "]" * 2000 + "\n", "nested more than 32 deep"),
    SpecCase("unknown-key-100k", f'{LONG} = 1\n', "... ("),  # the message is capped
    SpecCase("fifo", FIFO, "cannot read the cluster spec: it is a FIFO (named pipe), not a file"),
    SpecCase("directory", DIRECTORY, "cannot read the cluster spec: it is a directory"),
    SpecCase("device", DEVICE, "/dev/zero: cannot read the cluster spec: it is a character device"),
    SpecCase("binary", BINARY, "cannot read the cluster spec: not UTF-8 text"),
    SpecCase("huge", HUGE, "more than the 1048576 allowed"),
    SpecCase("missing", MISSING, "cannot read the cluster spec: No such file or directory"),
    SpecCase("ssh-config-fifo", '[connection]\nssh_config = "pipe"\n',
             "connection.ssh_config: '<dir>/pipe' is a FIFO"),
]


def spec_path(base: Path, case: SpecCase) -> Path:
    path = base / "cluster.toml"
    if case.text == FIFO:
        os.mkfifo(path)
    elif case.text == DIRECTORY:
        path.mkdir()
    elif case.text == DEVICE:
        return Path("/dev/zero")  # only stat()ed: reading it would never end
    elif case.text == BINARY:
        path.write_bytes(b"\xff\xfe[[nodes]]\x00")
    elif case.text == HUGE:
        path.write_text("# " + "x" * (1024 * 1024) + "\n")
    elif case.text != MISSING:
        path.write_text(case.text)
    if "pipe" in case.text:
        os.mkfifo(base / "pipe")
    return path


@pytest.mark.parametrize("case", SPEC_CASES, ids=[c.id for c in SPEC_CASES])
def test_spec(pytester: pytest.Pytester, case: SpecCase) -> None:
    path = spec_path(pytester.path, case)
    status, text = run_inprocess(pytester, f"--spec={path}")
    assert status == USAGE, text
    assert case.names.replace("<dir>", str(pytester.path)) in text, text[-2000:]
    assert str(path) in text  # the file is named too
    assert max(map(len, text.splitlines())) < MAX_MESSAGE + 200  # capped


@pytest.mark.parametrize("mode", ["--nightly", "--nagios"])
def test_spec_errors_are_cannot_check_in_nightly_and_nagios_mode(pytester: pytest.Pytester,
                                                                  mode: str) -> None:
    reports = pytester.path / "reports"
    reports.mkdir()
    (reports / "summary.json").write_text('{"verdict": "healthy"}')  # last night's
    spec = pytester.path / "cluster.toml"
    spec.write_text(SPEC_CASES[0].text)
    status, text = run_inprocess(pytester, f"--spec={spec}", mode)
    assert status == CANNOT_CHECK
    assert r"'fe80::1%x\n6.6.6.6 rpi1 github.com'" in text
    if mode == "--nagios":
        assert text.startswith("GLUSTER UNKNOWN - cannot check:")
    assert json.loads((reports / "summary.json").read_text())["verdict"] == "cannot-check"


# --- --hosts ----------------------------------------------------------------------------------

HOSTS_CASES = [  # every value must be refused: an accepted one would start connecting
    ("loopback-v4", "127.0.0.1", "--hosts: host '127.0.0.1': 127.0.0.1 is a loopback"),
    ("loopback-name", "rpi0,localhost", "--hosts: host 'localhost': 'localhost' is a loopback name"),
    ("loopback-v6", "[::1]", "--hosts: host '[::1]': ::1 is a loopback"),
    ("unspecified", "0.0.0.0", "--hosts: host '0.0.0.0': 0.0.0.0 is a loopback/unspecified"),
    ("multicast", "224.0.0.1", "224.0.0.1 is a multicast address"),
    ("case-duplicate", "rpi0,RPI0", "--hosts: 'RPI0' names node 'RPI0' a second time"),
    ("scheme-docker", "docker://rpi0", "the docker:// connection is not supported"),
    ("scheme-local", "local://", "the local:// connection is not supported"),
    ("sudo-misspelt", "rpi0?sudo=ture", "host 'rpi0?sudo=ture': sudo='ture' is not one of"),
    ("query-unknown", "rpi0?sudo=true&bogus=5", "unknown option 'bogus'"),
    ("query-twice", "rpi0?sudo=true&sudo=false", "option 'sudo' is given twice"),
    ("password", "pi:hunter2@rpi0", "host 'pi:***@rpi0': passwords in host specs are not supported"),
    ("port-zero", "rpi0:0", "port '0' is not a number from 1 to 65535"),
    ("port-huge", "rpi0:99999", "port '99999' is not a number from 1 to 65535"),
    ("name-underscore", "rpi_0", "'rpi_0' has the label 'rpi_0'"),
    ("name-all-digits", "12", "host '12': '12' reads as an IPv4 address"),
    ("per-host-ssh-config", "rpi0?ssh_config=/etc/x", "a per-host ssh_config is not supported"),
    ("digits-5000", "rpi0..rpi" + "9" * 5000, "has 5000 digits; a range counts with at most 18"),
    ("range-too-many", "node[0-99999999]", "expands to 100000000 hosts"),
    ("newline", "rpi0\nrpi1", "white space inside a host spec"),
    ("empty-token", "rpi0,,rpi1", "token 2 is empty"),
]


@pytest.mark.parametrize(("value", "names"), [c[1:] for c in HOSTS_CASES], ids=[c[0] for c in HOSTS_CASES])
def test_hosts(pytester: pytest.Pytester, value: str, names: str) -> None:
    status, text = run_inprocess(pytester, f"--hosts={value}")
    assert status == USAGE, text
    assert names in text, text[-2000:]
    assert "hunter2" not in text  # a password is never echoed


def test_hosts_errors_are_cannot_check_in_nightly_mode(pytester: pytest.Pytester) -> None:
    status, text = run_inprocess(pytester, "--hosts=127.0.0.1", "--nightly")
    assert status == CANNOT_CHECK
    assert "ERROR: cannot check: --hosts: host '127.0.0.1'" in text


# --- nodes from an inventory (spec.with_nodes: what an Ansible group gives) ----------------------

INVENTORY_CASES = [
    ("address-injection", Node("rpi1", "fe80::1%x\n6.6.6.6 github.com"),
     r"node 'rpi1': its address 'fe80::1%x\n6.6.6.6 github.com' carries the IPv6 scope id"),
    ("address-loopback", Node("rpi1", "127.0.0.1"), "its address '127.0.0.1' is a loopback"),
    ("name-localhost", Node("localhost", "10.0.1.1"), "node 'localhost': its name 'localhost' is a loopback"),
    ("name-digits", Node("17", None), "its name '17' reads as an IPv4 address"),
]


@pytest.mark.parametrize(("node", "names"), [c[1:] for c in INVENTORY_CASES],
                         ids=[c[0] for c in INVENTORY_CASES])
def test_inventory_nodes(node: Node, names: str) -> None:
    with pytest.raises(SpecError) as info:
        with_nodes(ClusterSpec((), ()), [node])
    assert names in str(info.value)


# --- the suite's options ------------------------------------------------------------------------

OPTION_CASES = [
    ("keep-negative", ["--keep=-1"], USAGE, "--keep=-1: out of range; expected a whole number of runs"),
    ("keep-zero", ["--keep=0"], USAGE, "--keep=0: out of range"),
    ("keep-text", ["--keep=ten"], USAGE, "--keep=ten: not a whole number"),
    ("keep-fraction", ["--keep=2.5"], USAGE, "--keep=2.5: not a whole number"),
    ("max-minutes-nan", ["--max-minutes=nan"], USAGE, "--max-minutes=nan: out of range"),
    ("max-minutes-inf", ["--max-minutes=inf"], USAGE, "--max-minutes=inf: out of range"),
    ("max-minutes-negative", ["--max-minutes=-5"], USAGE, "--max-minutes=-5: out of range"),
    ("heal-wait-negative", ["--heal-wait=-1"], USAGE, "--heal-wait=-1: out of range; expected a number"),
    ("heal-wait-nan", ["--heal-wait=NaN"], USAGE, "--heal-wait=nan: out of range"),
    ("warn-above-critical", ["--capacity-warn=95", "--capacity-critical=90"], USAGE,
     "--capacity-warn=95 is above --capacity-critical=90"),
    ("critical-150", ["--capacity-critical=150"], USAGE, "--capacity-critical=150: out of range"),
    ("warn-nan", ["--capacity-warn=nan"], USAGE, "--capacity-warn=nan: out of range"),
    ("heal-wait-text-nightly", ["--heal-wait=abc", "--nightly"], CANNOT_CHECK,
     "cannot check: --heal-wait=abc: not a number"),
    ("keep-negative-nagios", ["--keep=-3", "--nagios"], CANNOT_CHECK,
     "GLUSTER UNKNOWN - cannot check: --keep=-3: out of range"),
]


@pytest.mark.parametrize(("args", "status", "names"), [c[1:] for c in OPTION_CASES],
                         ids=[c[0] for c in OPTION_CASES])
def test_options(pytester: pytest.Pytester, args: list[str], status: int, names: str) -> None:
    got, text = run_inprocess(pytester, "--hosts=rpi0", *args)
    assert got == status, text
    assert names in text, text[-2000:]


# --- outputs and the nightly history -------------------------------------------------------------

SUMMARY = {"started": 1.0, "checks": [{"id": "checks/test_a.py::test_a[rpi0]", "outcome": "passed"}]}


def _history(base: Path) -> Path:
    history = base / "reports" / "history"
    history.mkdir(parents=True)
    return history


def report_dir_is_a_file(base: Path) -> list[str]:
    (base / "out").write_text("")
    return ["--report-dir=out", "--nightly"]


def textfile_is_a_directory(base: Path) -> list[str]:
    (base / "metrics").mkdir()
    return ["--prometheus-textfile=metrics"]


def textfile_parent_is_a_file(base: Path) -> list[str]:
    (base / "metrics").write_text("")
    return ["--prometheus-textfile=metrics/glustercheck.prom", "--nightly"]


def history_wrong_shape(base: Path) -> list[str]:
    (_history(base) / "summary-20260101T000000Z.json").write_text("[1, 2, 3]")
    return ["--nightly"]


def history_checks_wrong_shape(base: Path) -> list[str]:
    (_history(base) / "summary-x.json").write_text(json.dumps({**SUMMARY, "checks": "all fine"}))
    return ["--nightly"]


def history_not_json(base: Path) -> list[str]:
    (_history(base) / "summary-x.json").write_text('{"started": 1, "checks": [')
    return ["--nightly"]


def history_is_a_file(base: Path) -> list[str]:
    (base / "reports").mkdir()
    (base / "reports" / "history").write_text("")
    return ["--nightly"]


def history_fifo(base: Path) -> list[str]:
    os.mkfifo(_history(base) / "summary-fifo.json")
    return ["--nightly"]


def history_bad_sequence(base: Path) -> list[str]:
    (_history(base) / "summary-x.json").write_text(json.dumps({**SUMMARY, "sequence": -4}))
    return ["--nagios", "--nightly"]


OUTPUT_CASES: list[tuple[str, Callable[[Path], list[str]], int, str]] = [
    ("report-dir-is-a-file", report_dir_is_a_file, CANNOT_CHECK, "/out: exists and is not a directory"),
    ("textfile-is-a-directory", textfile_is_a_directory, USAGE,
     "--prometheus-textfile metrics: is a directory"),
    ("textfile-parent-is-a-file", textfile_parent_is_a_file, CANNOT_CHECK, "metrics is not a directory"),
    ("history-wrong-shape", history_wrong_shape, CANNOT_CHECK,
     "summary-20260101T000000Z.json is not a run summary: a summary is a JSON object, this is a list"),
    ("history-checks-wrong-shape", history_checks_wrong_shape, CANNOT_CHECK,
     "summary-x.json is not a run summary: 'checks' is not a list"),
    ("history-not-json", history_not_json, CANNOT_CHECK, "summary-x.json is not JSON"),
    ("history-is-a-file", history_is_a_file, CANNOT_CHECK, "reports/history is not a directory"),
    ("history-fifo", history_fifo, CANNOT_CHECK, "summary-fifo.json cannot be read: it is a FIFO"),
    ("history-bad-sequence", history_bad_sequence, CANNOT_CHECK,
     "GLUSTER UNKNOWN - cannot check: history file"),
]


@pytest.mark.parametrize(("make", "status", "names"), [c[1:] for c in OUTPUT_CASES],
                         ids=[c[0] for c in OUTPUT_CASES])
def test_outputs(pytester: pytest.Pytester, make: Callable[[Path], list[str]], status: int,
                 names: str) -> None:
    got, text = run_inprocess(pytester, "--hosts=rpi0", *make(pytester.path))
    assert got == status, text
    assert names in text, text[-2000:]


# --- gluster-plan ---------------------------------------------------------------------------------

PLAN_CASES = [
    ("version-99", ["--gluster-version", "99.0", "gv", "a:/b/1"], 64,
     "--gluster-version 99.0: gluster 99.0 is not supported: the rules known here are those of 3.7 to 11.x"),
    ("version-2", ["--gluster-version", "2.9", "gv", "a:/b/1"], 64, "gluster version '2.9' is older"),
    ("version-text", ["--gluster-version", "eleven", "gv", "a:/b/1"], 64, "not a gluster version: 'eleven'"),
    ("double-dash-name", ["gluster", "volume", "create", "--", "--xml", "a:/b/1"], 2,
     "volume name '--xml' starts with '-'"),
    ("double-dash-own-option", ["--", "--json", "gv", "a:/b/1"], 2, "volume name '--json' starts with '-'"),
    ("volume-all", ["volume", "create", "all", "a:/b/1"], 2, '"all" cannot be the name of a volume.'),
    ("volume-256", ["v" * 256, "a:/d/1"], 2, "failed: brick path a:/d/1 is too long."),
    ("nested", ["gv", "replica", "2", "a:/b", "b:/b", "a:/b/c", "b:/b/c"], 2,
     '"parent directory /b is already part of a volume"'),
    ("multicast-host", ["gv", "224.0.0.1:/b/1"], 2, "Host 224.0.0.1 is not in 'Peer in Cluster' state"),
    ("wraparound", ["gv", "replica", "3", "r0:/b/1", "r1:/b/1", "r2:/b/1", "r0:/b/2"], 2,
     "compares the last, partial set with the first bricks"),
    ("newline-in-brick", ["gv", "replica", "2", "a:/b\nc", "b:/b"], 2, "contains a space"),
    ("replica-huge", ["gv", "replica", "9" * 30, "a:/b/1", "b:/b/1"], 2, "REFUSED"),
    ("mounts-relative", ["--mounts", "rpi0=mnt", "gv", "a:/b/1"], 64,
     "--mounts wants absolute paths for rpi0, got 'mnt'"),
    ("no-line", ["--json"], 64, "the line to check is missing"),
]


@pytest.mark.parametrize(("args", "status", "names"), [c[1:] for c in PLAN_CASES],
                         ids=[c[0] for c in PLAN_CASES])
def test_gluster_plan(tmp_path: Path, args: list[str], status: int, names: str) -> None:
    result = subprocess.run([str(BIN / "gluster-plan"), *args], capture_output=True, text=True,
                            timeout=30, check=False, cwd=tmp_path)
    text = result.stdout + result.stderr
    clean(text)
    assert result.returncode == status, text
    assert names in text, text


# --- the /etc/hosts editor (library: the error type is the outcome) -------------------------------

HOSTS_FILE_CASES = [
    ("issue-injection", ("rpi1", "fe80::1%x\n6.6.6.6 rpi1 github.com"),
     r"the address carries the IPv6 scope id 'x\n6.6.6.6 rpi1 github.com'"),
    ("scope-id", ("rpi1", "fe80::1%eth0"), "the address carries the IPv6 scope id 'eth0'"),
    ("name-newline", ("rpi1\n6.6.6.6 github.com", "10.0.1.1"), r"the name contains a newline"),
    ("name-two-words", ("rpi1 github.com", "10.0.1.1"), "the name contains a space at position 5"),
    ("address-newline", ("rpi1", "10.0.1.1\n6.6.6.6 github.com"), "the address is not an IPv4 or IPv6"),
    ("address-tab", ("rpi1", "10.0.1.1\tgithub.com"), "the address is not an IPv4"),
    ("name-is-address", ("10.0.1.1", "10.0.1.1"), "the name reads as an IPv4 address"),
    ("address-loopback", ("rpi1", "127.0.1.1"), "the address is a loopback/unspecified address"),
    ("name-comment", ("rpi1#x", "10.0.1.1"), "the name has the label 'rpi1#x'"),
    ("name-localhost", ("localhost", "10.0.1.1"), "the name is a loopback name"),
]


@pytest.mark.parametrize(("entry", "names"), [c[1:] for c in HOSTS_FILE_CASES],
                         ids=[c[0] for c in HOSTS_FILE_CASES])
def test_hosts_file_editor(entry: tuple[str, str], names: str) -> None:
    with pytest.raises(HostsFileError) as info:
        update_hosts("127.0.0.1\tlocalhost\n", [("rpi0", "10.0.1.0"), entry])
    assert names in str(info.value)
    assert "nothing was written" in str(info.value)


def test_hosts_file_editor_reads_a_hand_damaged_block_as_glibc_does() -> None:
    text = f"127.0.0.1\tlocalhost\n{BEGIN}\ngarbage rpi1\n10.0.1.9 rpi0\n{END}\n"
    edit = update_hosts(text, [("rpi0", "10.0.1.0"), ("rpi1", "10.0.1.1")])
    assert "10.0.1.1\trpi1\n" in edit.text  # rewritten
    assert "maps rpi0 to 10.0.1.9 in the managed block, the spec says 10.0.1.0" in edit.differences


def test_hosts_file_editor_refuses_a_case_duplicate() -> None:
    with pytest.raises(HostsFileError, match=r"\('RPI0', '10.0.1.1'\): the name appears more than once"):
        update_hosts("", [("rpi0", "10.0.1.0"), ("RPI0", "10.0.1.1")])


# --- parsers (library: ParseError, capped, naming the command) -------------------------------------

GIANT = "x" * 20_000_000
PARSER_CASES: list[tuple[str, Callable[[], Any], str]] = [
    ("info-giant-line", lambda: parse_volume_info(GIANT), "gluster volume info: line 1"),
    ("status-giant-line", lambda: parse_volume_status(f"Status of volume: gv\nBrick {GIANT}\n"),
     "gluster volume status: line 2"),
    ("peer-count-5000-digits", lambda: parse_peer_status("Number of Peers: " + "9" * 5000 + "\n"),
     "gluster peer status: line 1"),
    ("xml-billion-laughs", lambda: parse_volume_info_xml(
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        "<cliOutput>&b;</cliOutput>"), "gluster --xml volume info: XML: expected plain gluster XML"),
    ("xml-deep", lambda: parse_volume_status_xml("<cliOutput>" + "<a>" * 100_000 + "</a>" * 100_000
                                                 + "</cliOutput>"), "gluster --xml volume status"),
    ("xml-giant-attribute", lambda: parse_volume_info_xml(f'<cliOutput x="{GIANT}"/>'),
     "gluster --xml volume info"),
    ("heal-entries-overflow", lambda: parse_heal_info(
        "Brick a:/b\nStatus: Connected\nNumber of entries: 99999999999999999999999\n", "gv"),
     "99999999999999999999999"),
    ("version-garbage", lambda: parse_gluster_version("\x00\x1b[2J" + GIANT), "gluster --version"),
]


@pytest.mark.parametrize(("parse", "names"), [c[1:] for c in PARSER_CASES], ids=[c[0] for c in PARSER_CASES])
def test_parsers(parse: Callable[[], Any], names: str) -> None:
    with pytest.raises(ParseError) as info:
        parse()
    assert names in str(info.value)
    assert len(str(info.value)) <= MAX_MESSAGE + 40  # "... (N more characters)"


# --- whole runs on the recorded cluster (subprocess) ---------------------------------------------

def nightly_run(base: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (base / "cluster.toml").write_text(GOOD_SPEC)
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "GLUSTERCHECK_LOCK_DIR": str(base), **env}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.unit.hostile_cluster",
         "--spec=cluster.toml", "--nightly", "--report-dir=reports", "-k", "glusterd_running", *args],
        cwd=base, env=environ, capture_output=True, text=True, timeout=120, check=False)
    clean(result.stdout + result.stderr)
    return result


def test_disk_full_is_one_cannot_check_line_and_no_stale_summary(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "summary.json").write_text('{"verdict": "healthy"}')  # last night's
    result = nightly_run(tmp_path, "--prometheus-textfile=metrics.prom", HOSTILE_DISK_FULL="summary.json")
    assert result.returncode == CANNOT_CHECK, result.stdout[-3000:]
    lines = [line for line in result.stderr.splitlines() if "cannot check" in line]
    assert lines == [f"ERROR: cannot check: cannot write the summary {reports / 'summary.json'}: "
                     "No space left on device"]
    assert not (reports / "summary.json").exists()  # removed, not left claiming "healthy"
    assert "glustercheck_verdict 3" in (tmp_path / "metrics.prom").read_text()


def test_a_20_million_character_answer_stays_out_of_the_reports(tmp_path: Path) -> None:
    result = nightly_run(tmp_path, "-k", "glusterd_running or every_brick_online",
                         HOSTILE_INFO_LINE="20000000")
    assert result.returncode == 1, result.stdout[-3000:]  # degraded: the volume check fails
    text = (tmp_path / "reports" / "summary.json").read_text()
    assert len(text) < 2_000_000
    summary = json.loads(text)
    failed = [c for c in summary["checks"] if c["outcome"] == "failed"]
    assert failed
    assert all(len(c["message"]) <= MAX_MESSAGE + 40 for c in failed)
    assert "more characters)" in json.dumps(failed)


def test_history_with_a_1970_and_a_future_run_keeps_the_new_run(tmp_path: Path) -> None:
    history = _history(tmp_path)
    for name, started in (("summary-19700101T000000Z.json", 5.0), ("summary-29990101T000000Z.json", 3e10)):
        (history / name).write_text(json.dumps({**SUMMARY, "started": started}))
    result = nightly_run(tmp_path, "--keep=2")
    assert result.returncode == 0, result.stdout[-3000:]
    names = sorted(p.name for p in history.glob("summary-*.json"))
    assert len(names) == 2
    assert "summary-29990101T000000Z.json" in names
    newest = load_history(history)[-1]
    assert newest["sequence"] == 1
    assert newest["started"] > 1.7e9


# --- history writes: race-free and atomic (library) ------------------------------------------------

def test_runs_saving_at_once_get_distinct_files_and_sequences(tmp_path: Path) -> None:
    def save(i: int) -> None:
        save_history(tmp_path, {**SUMMARY, "started": 1000.0, "run": i}, keep=100)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    runs = load_history(tmp_path)
    assert sorted(r["run"] for r in runs) == list(range(16))  # none lost to a name collision
    assert [r["sequence"] for r in runs] == list(range(1, 17))


def test_retention_never_deletes_the_run_just_written(tmp_path: Path) -> None:
    (tmp_path / "summary-30000101T000000Z.json").write_text(json.dumps({**SUMMARY, "sequence": 9}))
    path = save_history(tmp_path, {**SUMMARY, "started": 0.0}, keep=1)  # a Pi booted in 1970
    assert path.exists()
    assert [p.name for p in tmp_path.glob("summary-*.json")] == [path.name]
    assert load_history(tmp_path)[-1]["sequence"] == 10


def test_library_errors_carry_no_traceback_and_are_capped() -> None:
    error = GlusterCheckError("y" * 10_000_000)
    assert str(error).endswith("... (9998000 more characters)")
