"""gluster-plan: output and exit status through main(argv)."""

import json

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
