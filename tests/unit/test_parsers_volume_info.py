"""volume info, plain and XML: full values across eras, the 11.0 mislabel, stripe types, errors."""

import re

import pytest

from glustercheck.errors import ParseError
from glustercheck.parsers import Brick, GlusterError, Volume, parse_volume_info, parse_volume_info_xml
from glustercheck.volume_shape import VolumeShape
from tests.unit.test_parsers_vectors import VECTORS, comparable, vector

VECTORS_103 = VECTORS / "10.3"

UU = {
    "rpi0": "5a1c0f2e-7b3d-4c9a-9e61-0d2f4b8a1c00",
    "rpi1": "8e2b6d4f-1a9c-4e7b-b3d5-6f0a2c4e8b11",
    "rpi2": "c3d9a7e1-5f2b-4a8d-9c6e-2b4d6f8a0c22",
    "rpi3": "f7e5c3a1-9b8d-4f6e-a2c4-e6a8b0d2f433",
}
REPLICATE_DEFAULTS = {
    "cluster.granular-entry-heal": "on",
    "storage.fips-mode-rchecksum": "on",
    "transport.address-family": "inet",
    "nfs.disable": "on",
    "performance.client-io-threads": "off",
}


def bricks(volume: str, *hosts: str, arbiter_last: bool = False, xml: bool = False) -> tuple[Brick, ...]:
    return tuple(
        Brick(h, f"/mnt/usb/{volume}", UU[h] if xml else None, arbiter_last and i == len(hosts) - 1)
        for i, h in enumerate(hosts)
    )


@pytest.mark.parametrize("xml", [False, True])
def test_10_3_main_case_gv_is_2_x_2_distributed_replicate(xml: bool) -> None:
    volumes = vector("10.3", "volume-info.xml" if xml else "volume-info.txt")
    assert [v.name for v in volumes] == ["arb", "disp", "dist", "gv"]
    gv = volumes[3]
    assert gv == Volume(
        name="gv",
        volume_id="25061cfd-cf25-485b-9ae8-9f6b37cdd3d4",
        type_name="Distributed-Replicate",
        status="Started",
        shape=VolumeShape(4, replica=2),
        transport="tcp",
        bricks=bricks("gv", "rpi0", "rpi1", "rpi2", "rpi3", xml=xml),
        options=REPLICATE_DEFAULTS,
        snapshot_count=0,
    )
    assert (gv.true_type, gv.count_string) == ("Distributed-Replicate", "2 x 2 = 4")
    assert [b.name for b in gv.bricks] == [f"rpi{i}:/mnt/usb/gv" for i in range(4)]


@pytest.mark.parametrize("xml", [False, True])
def test_10_3_arbiter_disperse_and_distribute(xml: bool) -> None:
    arb, disp, dist, _ = vector("10.3", "volume-info.xml" if xml else "volume-info.txt")
    assert arb.shape == VolumeShape(3, replica=3, arbiter=1)
    assert arb.bricks == bricks("arb", "rpi0", "rpi1", "rpi2", arbiter_last=True, xml=xml)
    assert (arb.type_name, arb.true_type, arb.count_string) == ("Replicate", "Replicate", "1 x (2 + 1) = 3")
    assert disp.shape == VolumeShape(3, disperse=3, redundancy=1)
    assert (disp.true_type, disp.count_string) == ("Disperse", "1 x (2 + 1) = 3")
    assert not any(b.is_arbiter for b in disp.bricks)
    assert dist == Volume(
        "dist",
        "a9c8e7d6-5b4a-4392-8172-6e5d4c3b2a13",
        "Distribute",
        "Created",
        VolumeShape(2),
        "tcp",
        bricks("dist", "rpi0", "rpi1", xml=xml),
        {
            k: REPLICATE_DEFAULTS[k]
            for k in ("storage.fips-mode-rchecksum", "transport.address-family", "nfs.disable")
        },
        0,
    )


@pytest.mark.parametrize("xml", [False, True])
def test_11_0_mislabels_single_group_volumes_and_true_type_corrects_it(xml: bool) -> None:
    volumes = {v.name: v for v in vector("11.0", "volume-info.xml" if xml else "volume-info.txt")}
    labels = {n: (v.type_name, v.true_type, v.count_string) for n, v in volumes.items()}
    assert labels == {
        "arb": ("Distributed-Replicate", "Replicate", "1 x (2 + 1) = 3"),
        "disp": ("Distributed-Disperse", "Disperse", "1 x (2 + 1) = 3"),
        "gv": ("Distributed-Replicate", "Distributed-Replicate", "2 x 2 = 4"),
        "rep": ("Distributed-Replicate", "Replicate", "1 x 2 = 2"),
    }
    assert volumes["rep"].status == "Stopped"
    assert volumes["gv"].snapshot_count == 1


def test_11_1_fixed_the_labels_and_agrees_with_11_0_otherwise() -> None:
    fixed = vector("11.1", "volume-info.txt")
    assert [v.type_name for v in fixed] == [v.true_type for v in fixed]
    mislabelled = vector("11.0", "volume-info.txt")
    assert [v.shape for v in fixed] == [v.shape for v in mislabelled]


@pytest.mark.parametrize("xml", [False, True])
def test_3_7_stripe_era_and_no_snapshot_count(xml: bool) -> None:
    volumes = {v.name: v for v in vector("3.7", "volume-info.xml" if xml else "volume-info.txt")}
    shapes = {n: (v.type_name, v.shape, v.count_string, v.true_type) for n, v in volumes.items()}
    assert shapes == {
        "dist": ("Distribute", VolumeShape(4), "4", "Distribute"),
        "dsr": ("Distributed-Striped-Replicate", VolumeShape(8, replica=2, stripe=2), "2 x 2 x 2 = 8",
                "Distributed-Striped-Replicate"),
        "dst": ("Distributed-Stripe", VolumeShape(4, stripe=2), "2 x 2 = 4", "Distributed-Stripe"),
        "gv": ("Distributed-Replicate", VolumeShape(4, replica=2), "2 x 2 = 4", "Distributed-Replicate"),
        "sr": ("Striped-Replicate", VolumeShape(4, replica=2, stripe=2), "1 x 2 x 2 = 4",
               "Striped-Replicate"),
        "st": ("Stripe", VolumeShape(2, stripe=2), "1 x 2 = 2", "Stripe"),
    }  # fmt: skip
    assert all(v.snapshot_count is None for v in volumes.values())
    assert volumes["dist"].status == "Stopped"
    assert volumes["sr"].status == "Created"
    assert volumes["gv"].options == {"performance.readdir-ahead": "on"}
    assert [b.name for b in volumes["dsr"].bricks][3:5] == ["rpi3:/mnt/usb/dsr1", "rpi0:/mnt/usb/dsr2"]


@pytest.mark.parametrize("xml", [False, True])
def test_3_8_has_snapshot_count_and_arbiter(xml: bool) -> None:
    arb, disp, gv = vector("3.8", "volume-info.xml" if xml else "volume-info.txt")
    assert (arb.shape, arb.bricks[2].is_arbiter, arb.snapshot_count) == (
        VolumeShape(3, replica=3, arbiter=1),
        True,
        0,
    )
    assert disp.shape == VolumeShape(3, disperse=3, redundancy=1)
    assert gv.snapshot_count == 2
    assert gv.options == {"performance.readdir-ahead": "on", "features.barrier": "disable"}


def test_xml_carries_host_uuids_plain_does_not() -> None:
    plain, xml = vector("10.3", "volume-info.txt"), vector("10.3", "volume-info.xml")
    assert all(b.host_uuid is None for v in plain for b in v.bricks)
    assert [b.host_uuid for b in xml[3].bricks] == [UU[f"rpi{i}"] for i in range(4)]
    assert comparable(xml) == plain


V6_STRIPE = """\x20
Volume Name: old
Type: Distributed-Stripe [NOT SUPPORTED from v6.0]
Volume ID: 0f0e0d0c-0b0a-4908-8706-050403020100
Status: Stopped
Snapshot Count: 0
Number of Bricks: 2 x 2 = 4
Transport-type: tcp,rdma
Bricks:
Brick1: a:/b1
Brick2: b:/b1
Brick3: a:/b2
Brick4: b:/b2
Thin-arbiter-path: c:/ta
"""


def test_v6_suffix_is_kept_as_printed_and_true_type_follows_the_era() -> None:
    (old,) = parse_volume_info(V6_STRIPE)
    assert old.type_name == "Distributed-Stripe [NOT SUPPORTED from v6.0]"
    assert old.true_type == old.type_name
    assert (old.shape, old.transport, old.options) == (VolumeShape(4, stripe=2), "tcp,rdma", {})


def test_no_volumes_and_unknown_volume() -> None:
    assert parse_volume_info("No volumes present\n") == []
    with pytest.raises(GlusterError) as caught:
        parse_volume_info("Volume nope does not exist\n")
    assert caught.value.message == "Volume nope does not exist"
    assert str(caught.value).startswith("gluster volume info: line 1: expected 'Volume Name: NAME'")
    xml = "<cliOutput><opRet>-1</opRet><opErrno>2</opErrno><opErrstr>Volume nope does not exist</opErrstr>"
    xml += "</cliOutput>"
    with pytest.raises(
        GlusterError, match=r"<cliOutput/opRet>: expected 0; gluster said: Volume nope does not exist"
    ):
        parse_volume_info_xml(xml)


GV_BRICKS = "Bricks:\nBrick1: rpi0:/mnt/usb/gv"
PLAIN_DEFECTS = [  # (old, new, where and what the message says)
    ("Brick4: rpi3:/mnt/usb/gv\n", "", "line 62: expected 'Brick4: HOST:/PATH' of volume gv"),
    ("Brick3: rpi2:/mnt/usb/gv", "Brick5: rpi2:/mnt/usb/gv", "line 61: expected 'Brick3: HOST:/PATH'"),
    ("2 x 2 = 4", "2 x 2 = 5", "line 56: expected a 'Number of Bricks' that fits type"),
    ("Type: Distribute\n", "Type: Distribute\nType: Distribute\n", "line 38: expected 'Bricks:' or a"),
    ("Status: Created", "Status: Paused", "line 39: expected a status in"),
    ("Transport-type: tcp\n" + GV_BRICKS, GV_BRICKS, "expected 'Transport-type: ...' of volume gv before"),
    ("rpi1:/mnt/usb/gv", "rpi1/mnt/usb/gv", "line 60: expected a brick as HOST:/ABSOLUTE/PATH"),
    ("Brick2: rpi1:/mnt/usb/gv\n", "", "line 60: expected 'Brick2: HOST:/PATH' of volume gv, got 'Brick3"),
    ("nfs.disable: on\n \nVolume Name: gv", "nfs.disable: on\nVolume Name gv", "got 'Volume Name gv'"),
]


@pytest.mark.parametrize(("old", "new", "message"), PLAIN_DEFECTS)
def test_plain_errors_name_command_line_and_expectation(old: str, new: str, message: str) -> None:
    text = (VECTORS_103 / "volume-info.txt").read_text()
    assert old in text
    with pytest.raises(ParseError, match="^gluster volume info: .*" + re.escape(message)):
        parse_volume_info(text.replace(old, new))


def test_truncation_is_an_error() -> None:
    text = (VECTORS_103 / "volume-info.txt").read_text()
    cut = text[: text.index("Brick2: rpi1:/mnt/usb/gv")]
    with pytest.raises(ParseError, match="expected 'Brick2: HOST:/PATH' of volume gv, got end of output"):
        parse_volume_info(cut)


def test_xml_count_mismatches_are_errors() -> None:
    text = (VECTORS_103 / "volume-info.xml").read_text()
    last = text.rindex("<brick uuid=")
    three_bricks = text[:last] + text[last:].replace("brick", "other", 2)
    with pytest.raises(
        ParseError, match=r"volume\[4\]>: expected 4 <brick> elements as <brickCount> says, got '3'"
    ):
        parse_volume_info_xml(three_bricks)
    with pytest.raises(ParseError, match=r"expected 4 <volume> elements as <count> says, got '3'"):
        parse_volume_info_xml(text.replace("<volume>", "<ignored>", 1).replace("</volume>", "</ignored>", 1))
    with pytest.raises(
        ParseError, match=r"<cliOutput/volInfo/volumes/volume\[1\]/replicaCount>: expected a count"
    ):
        parse_volume_info_xml(
            text.replace("<replicaCount>3</replicaCount>", "<replicaCount>-3</replicaCount>", 1)
        )


def test_tier_volumes_are_refused_clearly() -> None:
    text = V6_STRIPE.replace("Distributed-Stripe [NOT SUPPORTED from v6.0]", "Tier")
    with pytest.raises(ParseError, match=r"line 3: expected a type other than Tier"):
        parse_volume_info(text)
