"""gluster-plan: output and exit status through main(argv)."""

import json
import subprocess
import sys

import pytest

from glustercheck.plan_cli import main

HOWTO = [
    "volume",
    "create",
    "gv",
    "replica",
    "2",
    "server1:/exp1",
    "server1:/exp2",
    "server2:/exp3",
    "server2:/exp4",
]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_howto_layout_is_refused_with_a_ready_to_paste_fix(capsys):
    code, out, _ = run(capsys, *HOWTO)
    assert code == 2
    assert out.startswith("REFUSED: gluster 11.1")
    assert "Type: Distributed-Replicate\nNumber of Bricks: 2 x 2 = 4\n" in out
    assert "  - volume create: gv: failed: Multiple bricks of a replicate volume" in out
    assert "  1: server1:/exp1 server1:/exp2   <- same server" in out
    assert out.rstrip().endswith(
        "Suggested order (every set on distinct servers):\n"
        "  gluster volume create gv replica 2 server1:/exp1 server2:/exp3 server1:/exp2 server2:/exp4"
    )


def test_json_has_the_same_content(capsys):
    code, out, _ = run(capsys, "--json", *HOWTO)
    doc = json.loads(out)
    assert code == 2
    assert doc["status"] == "rejected"
    assert doc["number_of_bricks"] == "2 x 2 = 4"
    assert doc["type"] == "Distributed-Replicate"
    assert doc["same_server_groups"] == [0, 1]
    assert doc["suggestion"] == ["server1:/exp1", "server2:/exp3", "server1:/exp2", "server2:/exp4"]
    assert doc["suggested_command"].startswith("gluster volume create gv replica 2 server1:/exp1 server2")
    assert doc["reasons"][0].startswith("volume create: gv: failed: Multiple bricks")


def test_accepted_with_warnings_exits_1(capsys):
    code, out, _ = run(capsys, "gv", "replica", "2", "a:/d/b", "b:/d/b")
    assert code == 1
    assert out.startswith("ACCEPTED with warnings by gluster 11.1.")
    assert "Replica 2 volumes are prone to split-brain" in out


def test_clean_layout_exits_0_and_marks_the_arbiter(capsys):
    code, out, _ = run(
        capsys,
        "--gluster-version",
        "10.3",
        "gv",
        "replica",
        "2",
        "arbiter",
        "1",
        "a:/d/b",
        "b:/d/b",
        "c:/d/b",
    )
    assert code == 0
    assert out.startswith("ACCEPTED by gluster 10.3.")
    assert "Number of Bricks: 1 x (2 + 1) = 3" in out
    assert "  1: a:/d/b b:/d/b c:/d/b (arbiter)" in out


def test_same_server_declares_aliases_and_options_may_come_last(capsys):
    code, out, _ = run(
        capsys, "gv", "replica", "2", "rpi0:/b", "10.0.1.0:/b2", "--same-server", "10.0.1.0=rpi0", "--json"
    )
    doc = json.loads(out)
    assert code == 2
    assert doc["same_server_groups"] == [0]
    assert doc["suggestion"] is None
    assert any("no order of these bricks" in r for r in doc["reasons"])


def test_gluster_global_options_are_ignored(capsys):
    code, out, _ = run(capsys, "gluster", "--mode=script", "volume", "create", "gv", "a:/d/b")
    assert code == 0
    assert "Type: Distribute\nNumber of Bricks: 1" in out


def test_version_changes_the_verdict(capsys):
    code, out, _ = run(capsys, "--gluster-version", "3.7.20", "gv", "stripe", "2", "a:/d/b", "b:/d/b")
    assert code == 1
    assert "Type: Stripe" in out
    code, out, _ = run(capsys, "--gluster-version", "6.0", "gv", "stripe", "2", "a:/d/b", "b:/d/b")
    assert code == 2
    assert "stripe option not supported" in out


def test_unreadable_line_is_a_refusal(capsys):
    code, out, _ = run(capsys, "gv", "replica", "2", "a:b")
    assert code == 2
    assert "Wrong brick type: a:b" in out
    code, out, _ = run(capsys, "--json", "gv", "a:b")
    assert json.loads(out)["status"] == "unreadable"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--bogus", "gv", "a:/b"],
        ["--gluster-version", "x", "gv", "a:/b"],
        ["--gluster-version", "2.0", "gv", "a:/b"],
        ["--same-server", "nope", "gv", "a:/b"],
        ["--mounts", "rpi0", "gv", "a:/b"],
        ["--mounts", "rpi0=mnt/usb", "gv", "a:/b"],
    ],
)
def test_usage_errors_exit_64(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 64
    assert "gluster-plan: error:" in err


def test_help_exits_0(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "Exit status" in out


def test_known_mount_points_make_the_root_partition_rule_exact(capsys):
    line = ["gv", "replica", "2", "rpi0:/mnt/usb", "rpi1:/mnt/usb/gv"]
    code, out, _ = run(capsys, "--mounts", "rpi0=/mnt/usb,/boot", "--mounts", "rpi1=/mnt/usb", *line)
    assert code == 2
    assert "The brick rpi0:/mnt/usb is a mount point. Please create a sub-directory" in out
    assert "rpi1:/mnt/usb/gv" not in out.split("Replica sets")[0]  # on its stick: fine
    code, out, _ = run(capsys, "--mounts", "rpi0=/srv", "gv", "rpi0:/data/gv", "rpi0:/srv/gv")
    assert code == 2
    assert "The brick rpi0:/data/gv is being created in the root partition" in out
    assert "rpi0:/srv/gv is being created" not in out


def test_unresolvable_host_is_refused(capsys):
    code, out, _ = run(capsys, "--json", "--unresolvable", "rpi9", "gv", "replica", "2", "rpi0:/b",
                       "rpi9:/b")
    assert code == 2
    doc = json.loads(out)
    assert any(r.startswith("brick host rpi9 does not resolve") for r in doc["reasons"])


def test_a_reader_that_stops_early_is_not_an_error():
    # `gluster-plan ... | head -1` on a big volume: no BrokenPipeError traceback.
    bricks = [f"s{i % 50}:/b/{i}" for i in range(4000)]
    proc = subprocess.Popen([sys.executable, "-m", "glustercheck.plan_cli", "gv", "replica", "2", *bricks],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(10)
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()
    assert proc.returncode in (0, 1, 2)
