"""volume status, plain and XML: N/A columns, offline and absent bricks, wrapped names, errors."""

import pytest

from glustercheck.errors import ParseError
from glustercheck.parsers import (
    BrickStatus,
    DaemonStatus,
    GlusterError,
    parse_volume_status,
    parse_volume_status_xml,
)
from tests.unit.test_parsers_render import status_row
from tests.unit.test_parsers_vectors import VECTORS, vector

SHD = "Self-heal Daemon"
HEADER = (
    "Status of volume: v\nGluster process                             TCP Port  RDMA Port  Online  Pid\n"
    + "-" * 78
)


@pytest.mark.parametrize("suffix", [".txt", ".xml"])
def test_10_3_all_volumes_with_one_brick_process_killed(suffix: str) -> None:
    statuses = vector("10.3", "volume-status" + suffix)
    assert [s.volume for s in statuses] == ["arb", "disp", "gv"]  # dist was never started
    gv = statuses[2]
    assert gv.bricks == (
        BrickStatus("rpi0", "/mnt/usb/gv", 59097, None, True, 1293),
        BrickStatus("rpi1", "/mnt/usb/gv", 56320, None, True, 1264),
        BrickStatus("rpi2", "/mnt/usb/gv", 50853, None, True, 1271),
        BrickStatus("rpi3", "/mnt/usb/gv", None, None, False, None),
    )
    assert gv.daemons == (
        DaemonStatus(SHD, "localhost", None, True, 1305),
        DaemonStatus(SHD, "rpi1", None, True, 1277),
        DaemonStatus(SHD, "rpi2", None, True, 1282),
        DaemonStatus(SHD, "rpi3", None, True, 1299),
    )


@pytest.mark.parametrize("suffix", [".txt", ".xml"])
def test_3_7_nfs_server_rows_and_a_node_whose_glusterd_is_down(suffix: str) -> None:
    (gv,) = vector("3.7", "volume-status" + suffix)
    assert [b.host for b in gv.bricks] == ["rpi0", "rpi1", "rpi3"]  # rpi2 absent, not offline
    assert gv.bricks[2] == BrickStatus("rpi3", "/mnt/usb/gv", 49153, None, True, 1176)
    nfs = [d for d in gv.daemons if d.name == "NFS Server"]
    assert nfs == [
        DaemonStatus("NFS Server", "localhost", 2049, True, 1230),
        DaemonStatus("NFS Server", "rpi0", 2049, True, 1211),
        DaemonStatus("NFS Server", "rpi3", 2049, True, 1199),
    ]


@pytest.mark.parametrize("suffix", [".txt", ".xml"])
def test_names_longer_than_43_characters_wrap(suffix: str) -> None:
    (archive,) = vector("10.3", "volume-status-long" + suffix)
    host1, host2 = "storage-node-01.example.internal", "storage-node-02.example.internal"
    assert archive.bricks == (
        BrickStatus(host1, "/srv/gluster/archive/brick", 53344, None, True, 2210),
        BrickStatus(host2, "/srv/gluster/archive/brick", None, None, False, None),
    )
    assert archive.daemons == (
        DaemonStatus(SHD, "localhost", None, True, 2245),
        DaemonStatus(SHD, host2, None, False, None),
    )


@pytest.mark.parametrize("length", [42, 43, 44, 86, 87, 130])
def test_wrap_boundaries(length: int) -> None:
    path = "/" + "p" * (length - len("Brick h:/"))
    text = HEADER + "\n" + status_row(f"Brick h:{path}", 49152, 49153, True, 7) + " \n"
    (status,) = parse_volume_status(text)
    assert status.bricks == (BrickStatus("h", path, 49152, 49153, True, 7),)


def test_daemons_are_sorted_since_nodes_answer_in_any_order() -> None:
    rows = [status_row(f"{SHD} on {h}", None, None, True, 1) for h in ("rpi3", "localhost", "rpi1")]
    rows.insert(1, status_row("Quota Daemon on rpi2", None, None, True, 2))
    (status,) = parse_volume_status(HEADER + "\n" + "".join(rows))
    assert [(d.name, d.host) for d in status.daemons] == [
        ("Quota Daemon", "rpi2"),
        (SHD, "localhost"),
        (SHD, "rpi1"),
        (SHD, "rpi3"),
    ]


def test_not_started_is_gluster_s_error_alone_and_skipped_among_others() -> None:
    with pytest.raises(GlusterError) as caught:
        parse_volume_status("Volume gv is not started\n")
    assert caught.value.message == "Volume gv is not started"
    text = (VECTORS / "10.3" / "volume-status.txt").read_text()
    stopped = "tasks\n \nVolume dist is not started\n \n"  # stderr interleaved, as with 2>&1
    mixed = "Volume aaa is not started\n \n" + text.replace("tasks\n \n \n", stopped)
    assert parse_volume_status(mixed) == parse_volume_status(text)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Brick h:/b  49152  0  Y", "line 4: expected a row 'NAME PORT RDMA-PORT Y|N PID' or a 43-character"),
        ("Brick h:/b  49152  0  Maybe  12", "line 4: expected a row"),
        ("Brick h-without-path  49152  0  Y  12", "line 4: expected a brick as HOST:/ABSOLUTE/PATH"),
        ("Weird Daemon on h  N/A  N/A  Y  12", "line 4: expected 'Brick HOST:/PATH' or 'DAEMON on HOST'"),
        ("Brick h:/" + "x" * 34, "line 5: expected the columns"),
    ],
)
def test_row_errors(row: str, message: str) -> None:
    with pytest.raises(ParseError, match="^gluster volume status: " + message.replace("|", r"\|")):
        parse_volume_status(HEADER + "\n" + row + "\n")


def test_header_and_xml_errors() -> None:
    with pytest.raises(ParseError, match=r"line 2: expected the header 'Gluster process"):
        parse_volume_status("Status of volume: v\nsomething else\n")
    text = (VECTORS / "10.3" / "volume-status.xml").read_text()
    with pytest.raises(
        ParseError, match=r"volume\[1\]/node\[1\]/port>: expected a port number or N/A, got 'x'"
    ):
        parse_volume_status_xml(text.replace("<port>55411</port>", "<port>x</port>"))
    failed = "<cliOutput><opRet>-1</opRet><opErrno>0</opErrno><opErrstr>Volume gv is not started</opErrstr>"
    with pytest.raises(GlusterError, match="Volume gv is not started"):
        parse_volume_status_xml(failed + "<cliOp>volStatus</cliOp></cliOutput>")
