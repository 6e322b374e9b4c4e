"""Reading `volume create` lines the way gluster's CLI does."""

import pytest

from glustercheck.errors import LayoutError
from glustercheck.layout import CreateRequest, parse_create_command, render_command
from glustercheck.layout.parse import c_strict_int, c_strtol

HOWTO = "replica 2 server1:/exp1 server1:/exp2 server2:/exp3 server2:/exp4"


@pytest.mark.parametrize(
    "line",
    [
        f"gv {HOWTO}",
        f"volume create gv {HOWTO}",
        f"--mode=script volume create gv {HOWTO}",
        f"gluster --mode=script volume create gv {HOWTO}",
        f"vol create gv {HOWTO}",
    ],
)
def test_prefixes_are_optional(line):
    req = parse_create_command(line)
    assert req == CreateRequest("gv", tuple(HOWTO.split()[2:]), replica=2)


def test_accepts_a_word_list():
    assert parse_create_command(["gv", "a:/x"]) == CreateRequest("gv", ("a:/x",))


@pytest.mark.parametrize(
    ("word", "value"),
    [("2", 2), ("2x", 2), ("2.5", 2), ("0x2", 2), ("010", 8), ("08", 0), ("-1", -1), ("x", None)],
)
def test_strtol_reads_like_c(word, value):
    assert c_strtol(word) == value


@pytest.mark.parametrize(("word", "value"), [("3", 3), ("0x3", 3), ("010", 8), ("3x", None), ("", None)])
def test_strict_ints_need_the_whole_word(word, value):
    assert c_strict_int(word) == value


@pytest.mark.parametrize(("count", "note"), [("2x", "2x"), ("2.5", "2.5"), ("0x2", "0x2")])
def test_sloppy_replica_counts_read_as_2_with_a_note(count, note):
    req = parse_create_command(f"gv replica {count} a:/x b:/x")
    assert req.replica == 2
    assert req.notes == (f"gluster reads `replica {note}` as replica 2; write 2 to be clear",)


def test_abbreviated_options():
    req = parse_create_command("gv rep 3 tra RDMA a:/x b:/x c:/x")
    assert (req.replica, req.transport) == (3, "rdma")


def test_arbiter_and_thin_arbiter_after_replica():
    arb = parse_create_command("gv replica 2 arbiter 1 a:/x b:/x c:/x")
    assert (arb.replica, arb.arbiter) == (2, 1)
    thin = parse_create_command("gv replica 2 thin-arbiter 1 a:/x b:/x t:/ta")
    assert thin.thin_arbiter == 1
    assert thin.data_bricks == ("a:/x", "b:/x")


def test_disperse_with_and_without_count():
    assert parse_create_command("gv disperse 3 redundancy 1 a:/x b:/x c:/x").disperse == 3
    bare = parse_create_command("gv disperse a:/x b:/x c:/x")
    assert bare.disperse == 0
    assert bare.has("disperse")
    assert not parse_create_command("gv disperse 0 a:/x b:/x c:/x").has("stripe")


def test_force_only_as_lowercase_last_word():
    assert parse_create_command("gv a:/x force").force
    with pytest.raises(LayoutError, match="only understood as the last word"):
        parse_create_command("gv a:/x FORCE")
    with pytest.raises(LayoutError, match="only understood as the last word"):
        parse_create_command("gv force a:/x")


def test_paths_are_canonicalised_like_gluster():
    assert parse_create_command("gv a://x//y/").bricks == ("a:/x/y",)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "no volume name"),
        ("gv", "no bricks given"),
        ("gv replica", "`replica` needs a count"),
        ("gv replica server1:/a server2:/a", "`replica` needs a count"),
        ("gv a:b", "Wrong brick type: a:b, use <HOSTNAME>:<export-dir-abs-path>"),
        ("gv /x", "Wrong brick type: /x"),
        ("gv :/x", "Wrong brick type: :/x"),
        ("gv Replica 2 a:/x", "option words are lowercase"),
        ("gv r 2 a:/x", "ambiguous"),
        ("gv replica 2 replica 2 a:/x b:/x", "replica option given twice"),
        ("gv arbiter 1 a:/x", "arbiter option must be preceded by replica option."),
        ("gv replica 3 arb 1 a:/x", "arbiter option must be preceded by replica option."),
        ("gv replica 3 arbiter x a:/x", "arbiter needs a count"),
        ("gv transport udp a:/x", "transport must be tcp, rdma or tcp,rdma"),
        ("gv redundancy x a:/x", "redundancy needs a whole number"),
        ("gv disperse-data 2x a:/x", "disperse-data needs a whole number"),
        ("gv disperse 3 redundancy 1 transport tcp stripe 2 a:/x", "at most three options"),
    ],
)
def test_unreadable_lines(line, message):
    with pytest.raises(LayoutError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_create_command(line)


@pytest.mark.parametrize(
    "line",
    [
        f"gv {HOWTO}",
        "gv replica 2 arbiter 1 a:/x b:/x c:/x force",
        "gv replica 2 thin-arbiter 1 a:/x b:/x t:/ta",
        "gv disperse 6 redundancy 2 transport rdma a:/1 b:/1 c:/1 d:/1 e:/1 f:/1",
        "gv disperse a:/1 b:/1 c:/1",
        "gv disperse-data 4 redundancy 2 a:/1 b:/1 c:/1 d:/1 e:/1 f:/1",
        "gv stripe 2 replica 2 a:/1 b:/1 c:/1 d:/1",
    ],
)
def test_render_round_trips(line):
    req = parse_create_command(line)
    rendered = render_command(req)
    assert rendered.startswith("gluster volume create gv ")
    assert parse_create_command(rendered) == req


def test_render_quotes_odd_words_and_keeps_thin_arbiter_last():
    req = parse_create_command(["gv", "replica", "2", "thin-arbiter", "1", "a:/x y", "b:/x", "t:/ta"])
    assert render_command(req, ["b:/x", "a:/x y"]) == (
        "gluster volume create gv replica 2 thin-arbiter 1 b:/x 'a:/x y' t:/ta"
    )
