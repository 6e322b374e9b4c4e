"""heal info, plain and XML: entries, a down brick, distribute volumes, 3.x blank lines, errors."""

import pytest

from glustercheck.errors import ParseError
from glustercheck.parsers import (
    GlusterError,
    HealBrick,
    HealInfo,
    parse_heal_count,
    parse_heal_info,
    parse_heal_info_xml,
)
from tests.unit.test_parsers_vectors import VECTORS, vector

DOWN = "Transport endpoint is not connected"
GFID = "<gfid:9a3f6c1e-2d4b-4e8a-b7c5-1f0e3d2a6b94>"


@pytest.mark.parametrize("suffix", [".txt", ".xml"])
def test_10_3_gv_with_a_down_brick_and_pending_entries(suffix: str) -> None:
    info = vector("10.3", "heal-info-gv" + suffix, volume="gv")
    assert info == HealInfo(
        "gv",
        True,
        (
            HealBrick("rpi0", "/mnt/usb/gv", True, "Connected", 0, ()),
            HealBrick("rpi1", "/mnt/usb/gv", True, "Connected", 0, ()),
            HealBrick("rpi2", "/mnt/usb/gv", True, "Connected", 3, ("/docs/report.odt", "/docs", GFID)),
            HealBrick("rpi3", "/mnt/usb/gv", False, DOWN, None, ()),
        ),
    )
    assert info.pending_entries is None  # one brick unknown


@pytest.mark.parametrize("suffix", [".txt", ".xml"])
def test_all_connected_sums_entries(suffix: str) -> None:
    assert vector("10.3", "heal-info-arb" + suffix, volume="arb").pending_entries == 0
    disp = vector("11.1", "heal-info-disp" + suffix, volume="disp")
    assert [b.entries for b in disp.bricks] == [2, None, 2]
    assert disp.bricks[0].entry_paths == ("/media/film.mkv", "/media")


@pytest.mark.parametrize(("version", "suffix"), [(v, s) for v in ("3.7", "10.3") for s in (".txt", ".xml")])
def test_distribute_volume_is_not_applicable_in_both_wordings(version: str, suffix: str) -> None:
    info = vector(version, "heal-info-dist" + suffix, volume="dist")
    assert info == HealInfo("dist", False, ())
    assert info.pending_entries == 0


def test_xml_without_a_volume_takes_the_name_from_the_message() -> None:
    text = (VECTORS / "10.3" / "heal-info-dist.xml").read_text()
    assert parse_heal_info_xml(text).volume == "dist"


@pytest.mark.parametrize("suffix", [".txt", ".xml"])
def test_3_7_split_brain_suffixes_and_their_blank_lines(suffix: str) -> None:
    info = vector("3.7", "heal-info-gv" + suffix, volume="gv")
    assert info.bricks[1] == HealBrick(
        "rpi1",
        "/mnt/usb/gv",
        True,
        "Connected",
        2,
        ("/photos/2016/img_0042.jpg", "<gfid:0d1c2b3a-4958-4a67-8b9c-ad0e1f2a3b4c>"),
    )
    assert info.bricks[2] == HealBrick("rpi2", "/mnt/usb/gv", False, DOWN, None, ())
    assert info.bricks[3].entry_paths == ("/photos/2016/img_0043.jpg",)


FAILED = f"Failed to process entries completely. ({DOWN})"


def test_partly_processed_brick_in_plain_and_xml() -> None:
    plain = f"Brick h:/b\n/a \nStatus: {FAILED}\nNumber of entries: 1\n\n"
    xml = (
        '<cliOutput><healInfo><bricks><brick hostUuid="u"><name>h:/b</name><file gfid="g">/a</file>'
        f"<status>{FAILED}Number of entries: 1</status></brick></bricks></healInfo>"
        "<opRet>0</opRet><opErrno>0</opErrno><opErrstr/></cliOutput>"
    )
    expected = HealInfo("v", True, (HealBrick("h", "/b", False, FAILED, 1, ("/a",)),))
    assert parse_heal_info(plain, "v") == expected
    assert parse_heal_info_xml(xml, "v") == expected


def test_brick_without_name() -> None:
    text = "Brick - Not able to get brick information\nStatus: Connected\nNumber of entries: 0\n"
    assert parse_heal_info(text, "v").bricks == (HealBrick("-", "-", True, "Connected", 0, ()),)


def test_not_started_is_gluster_s_error() -> None:
    message = "Volume gv is not started (Or) All the bricks are not running."
    with pytest.raises(GlusterError) as caught:
        parse_heal_info(message + "\nVolume heal failed.\n", "gv")
    assert caught.value.message == message + " Volume heal failed."
    assert str(caught.value).startswith("gluster volume heal gv info: line 1: expected 'Brick HOST:/PATH'")
    xml = (
        f"<cliOutput><healInfo><bricks/></healInfo><opRet>-1</opRet><opErrno>107</opErrno><opErrstr>{message}"
    )
    with pytest.raises(GlusterError, match="All the bricks are not running"):
        parse_heal_info_xml(xml + "</opErrstr></cliOutput>", "gv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Brick h:/b\nStatus: Connected\n",
            "line 3: expected 'Number of entries: N' or '-', got end of output",
        ),
        ("Brick h:/b\nStatus: Connected\nNumber of entries: many\n", "line 3: expected 'Number of entries"),
        ("Brick h:/b\nnot a path\nStatus: Connected\n", "line 2: expected an entry (/PATH or <gfid:...>)"),
        ("Brick h:/b\n/a\n", "line 3: expected 'Status: ...' of brick h:/b, got end of output"),
        ("Brick h/b\n", "line 1: expected a brick as HOST:/ABSOLUTE/PATH"),
    ],
)
def test_plain_errors(text: str, message: str) -> None:
    with pytest.raises(
        ParseError, match=r"^gluster volume heal v info: " + message.replace("(", r"\(").replace(")", r"\)")
    ):
        parse_heal_info(text, "v")


def test_xml_errors_name_the_element() -> None:
    text = (VECTORS / "10.3" / "heal-info-gv.xml").read_text()
    with pytest.raises(
        ParseError,
        match=r"^gluster --xml volume heal gv info: XML element "
        r"<cliOutput/healInfo/bricks/brick\[1\]/numberOfEntries>: expected a count or -, got '-2'",
    ):
        parse_heal_info_xml(text.replace("<numberOfEntries>0<", "<numberOfEntries>-2<", 1), "gv")
    with pytest.raises(ParseError, match=r"brick\[1\]>: expected a <status> child, found none"):
        parse_heal_info_xml(text.replace("<status>Connected</status>", "", 2), "gv")


# ----- heal-count (`gluster volume heal VOLUME statistics heal-count`, glusterd 10.3, live) -----

LIVE = "10.3-live"


def test_heal_count_all_bricks_counted() -> None:
    info = vector(LIVE, "heal-count-gv.txt")
    assert info.counted_only
    assert info.applicable
    assert info.volume == "gv"
    assert [(b.host, b.entries) for b in info.bricks] == [("rpi0", 0), ("rpi1", 0), ("rpi2", 0), ("rpi3", 0)]
    assert all(b.connected and b.status == "Connected" and b.entry_paths == () for b in info.bricks)
    assert info.pending_entries == 0


def test_heal_count_with_a_powered_off_node_and_pending_entries() -> None:
    info = vector(LIVE, "heal-count-gv-pending-rpi2-off.txt")
    assert info == HealInfo("gv", True, (
        HealBrick("rpi0", "/mnt/usb/gv", True, "Connected", 0, ()),
        HealBrick("rpi1", "/mnt/usb/gv", True, "Connected", 0, ()),
        HealBrick("rpi2", "/mnt/usb/gv", False, "No gathered input for this brick", None, ()),
        HealBrick("rpi3", "/mnt/usb/gv", True, "Connected", 4, ()),
    ), counted_only=True)
    assert info.pending_entries is None  # rpi2's count is unknown


def test_heal_count_keeps_a_stated_brick_status() -> None:
    text = ("Gathering count of entries to be healed on volume gv has been successful \n\n"
            "Brick rpi0:/mnt/usb/gv\nStatus: Brick is not connected\nNo gathered input for this brick\n\n"
            "Brick rpi1:/mnt/usb/gv\nNumber of entries: 12\n")
    info = parse_heal_count(text, "gv")
    assert info.bricks == (HealBrick("rpi0", "/mnt/usb/gv", False, "Brick is not connected", None, ()),
                           HealBrick("rpi1", "/mnt/usb/gv", True, "Connected", 12, ()))


@pytest.mark.parametrize("message", [
    # captured from glusterd 10.3: a distribute volume (its self-heal daemon is off) and a stopped one
    "Self-heal-daemon is disabled. Heal will not be triggered on volume vecdist",
    "Volume vecstop is not started.",
    # glusterd-volume-ops.c, for disperse volumes (heal-count is for replicated volumes only)
    "This command is supported for only volume of replicated type. Volume disp is not of type replicate",
])
def test_heal_count_refusals_are_gluster_errors(message: str) -> None:
    volume = message.rsplit(maxsplit=1)[-1].rstrip(".")
    text = f"Gathering count of entries to be healed on volume {volume} has been unsuccessful:\n{message}\n"
    with pytest.raises(GlusterError) as caught:
        parse_heal_count(text, volume)
    assert caught.value.message == message
    assert f"gluster volume heal {volume} statistics heal-count" in str(caught.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("", "'Gathering count of entries ... has been successful', got end of output"),
    ("Gathering count of entries to be healed on volume gv has been successful\n\nrpi0:/b\n",
     "line 3: expected 'Brick HOST:/PATH', got 'rpi0:/b'"),
    ("Gathering count of entries to be healed on volume gv has been successful\n\nBrick rpi0:/b\n",
     "expected 'Number of entries: N' or 'No gathered input for this brick' of rpi0:/b, got end of output"),
    ("Gathering count of entries to be healed on volume gv has been successful\n\nBrick rpi0:/b\n"
     "Number of entries: lots\n", "got 'Number of entries: lots'"),
])
def test_heal_count_malformed_output_names_the_line(text: str, expected: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_heal_count(text, "gv")
    assert expected in str(caught.value)
    assert "heal gv statistics heal-count" in str(caught.value)
