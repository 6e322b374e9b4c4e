"""validate(): every rule, every message, per gluster version."""

import pytest

from glustercheck.layout import CreateRequest, parse_create_command, validate
from glustercheck.layout.options import default_redundancy

SAME_SERVER_LONG = (
    "volume create: gv: failed: Multiple bricks of a replicate volume are present on the same server. "
    "This setup is not optimal. Bricks should be on different nodes to have best fault tolerant "
    "configuration. Use 'force' at the end of the command if you want to override this behavior."
)
LOOPBACK = (
    "Please provide a valid hostname/ip other than localhost, 127.0.0.1 or loopback address "
    "(0.0.0.0 to 0.255.255.255)."
)
ARB5 = (
    "For arbiter configuration, replica count must be 2 and arbiter count must be 1. "
    "The 3rd brick of the replica will be the arbiter"
)
THIN = (
    "For thin-arbiter configuration, replica count must be 2 and thin-arbiter count must be 1. "
    "The 3rd brick of the replica will be the thin-arbiter brick"
)
THREE = "a:/d/b b:/d/b c:/d/b"
SIX = "a:/d/1 b:/d/1 c:/d/1 d:/d/1 e:/d/1 f:/d/1"


def judge(line, version=(11, 1), **kw):
    return validate(parse_create_command(line), version, **kw)


def test_howto_example_is_flagged_with_the_suggested_order():
    v = judge("gv replica 2 server1:/exp1 server1:/exp2 server2:/exp3 server2:/exp4")
    assert not v.accepted
    assert v.reasons[0] == SAME_SERVER_LONG
    assert v.same_server_groups == (0, 1)
    assert v.suggestion == ("server1:/exp1", "server2:/exp3", "server1:/exp2", "server2:/exp4")
    assert (v.type_name, v.count_string) == ("Distributed-Replicate", "2 x 2 = 4")


def test_ip_alias_of_one_node_is_caught_through_same_server():
    v = judge("gv replica 2 rpi0:/b 10.0.1.0:/b2", same_server={"10.0.1.0": "rpi0"})
    assert v.reasons[0] == SAME_SERVER_LONG
    assert v.suggestion is None
    assert any("no order of these bricks" in r for r in v.reasons)
    assert judge("gv replica 2 rpi0:/b 10.0.1.0:/b2").same_server_groups == ()


def test_aliases_join_transitively_and_ignore_case():
    v = judge("gv replica 2 RPI0:/b 10.0.1.0:/b", same_server={"10.0.1.0": "uuid-0", "rpi0": "uuid-0"})
    assert v.same_server_groups == (0,)


def test_force_turns_same_server_into_warnings():
    v = judge("gv replica 3 a:/d/1 a:/d/2 b:/d/1 force")
    assert v.accepted
    assert v.same_server_groups == (0,)
    assert any("force makes gluster accept it" in w for w in v.warnings)
    assert any("no order of these bricks" in w for w in v.warnings)


def test_short_same_server_message_before_3_12():
    v = judge("gv replica 3 a:/d/1 a:/d/2 b:/d/1", (3, 7))
    assert v.reasons[0].endswith(
        "This setup is not optimal. Use 'force' at the end of the command if you want to override "
        "this behavior."
    )


def test_disperse_same_server_message():
    v = judge("gv disperse 3 redundancy 1 a:/d/1 a:/d/2 b:/d/1")
    assert "Multiple bricks of a disperse volume" in v.reasons[0]


def test_clean_layouts_are_accepted():
    v = judge(f"gv replica 3 {THREE}")
    assert (v.accepted, v.reasons, v.warnings, v.suggestion) == (True, (), (), None)
    assert v.groups == (tuple(THREE.split()),)


@pytest.mark.parametrize(
    ("line", "version", "reason"),
    [
        ("gv replica 1 a:/d/b", (11, 1), "replica count should be greater than 1 (for a volume without"),
        ("gv replica 0 a:/d/b", (11, 1), "replica count should be greater than 1"),
        (f"gv replica 4 arbiter 1 {THREE}", (11, 1), ARB5),
        (f"gv replica 3 arbiter 2 {THREE}", (11, 1), ARB5),
        (f"gv replica 2 arbiter 1 {THREE}", (4, 1), ARB5.replace("must be 2", "must be 3")),
        (f"gv replica 3 thin-arbiter 1 {THREE}", (11, 1), THIN),
        (f"gv replica 2 thin-arbiter 1 {THREE}", (6, 0), "thin-arbiter needs gluster 7.0 or newer"),
        (
            "gv replica 3 a:/d/1 b:/d/1 c:/d/1 d:/d/1",
            (9, 6),
            "number of bricks is not a multiple of replica count",
        ),
        (
            "gv replica 3 a:/d/1 b:/d/1 c:/d/1 d:/d/1",
            (3, 7),
            "number of bricks is not a multiple of replica count",
        ),
        ("gv replica 3 a:/d/1 b:/d/1 c:/d/1 d:/d/1", (10, 3), "4 bricks do not make whole replica sets of 3"),
        ("gv replica 2 a:/d/1 b:/d/1 c:/d/1", (11, 1), "Failed to create volume files"),
        ("gv stripe 2 a:/d/1 b:/d/1 c:/d/1", (3, 7), "number of bricks is not a multiple of stripe count"),
        (
            "gv stripe 2 replica 2 a:/d/1 b:/d/1 c:/d/1",
            (3, 7),
            "number of bricks given doesn't match required count",
        ),
        ("gv stripe 1 a:/d/1", (3, 7), "stripe count should be greater than 1"),
        ("gv stripe 2 a:/d/1 b:/d/1", (6, 0), "stripe option not supported: striped volumes were removed"),
        ("gv stripe 3 a:/d/1 b:/d/1 c:/d/1", (10, 3), "`stripe` is no longer an option in gluster 10.3"),
        ("gv stripe 3 a:/d/1 b:/d/1 c:/d/1", (11, 1), "use `disperse 3 redundancy 1`"),
        (f"gv replica 2 disperse 3 {THREE}", (11, 1), "replicated-dispersed volume is not supported"),
        (f"gv stripe 2 disperse 3 {THREE}", (3, 7), "striped-dispersed volume is not supported"),
        (f"gv disperse 2 {THREE}", (11, 1), "disperse count must be greater than 2"),
        (f"gv disperse 0 {THREE}", (11, 1), "disperse count must be greater than 2"),
        (f"gv disperse-data 1 {THREE}", (10, 3), "disperse-data must be greater than 1"),
        (
            f"gv disperse-data 17 {THREE}",
            (11, 1),
            "disperse-data must be greater than 1 and less than equal to 16",
        ),
        (f"gv redundancy 0 {THREE}", (11, 1), "redundancy must be greater than 0"),
        (
            f"gv disperse 6 disperse-data 4 redundancy 1 {SIX}",
            (11, 1),
            "Disperse count(6) should be equal to sum",
        ),
        (
            f"gv disperse-data 3 {SIX}",
            (11, 1),
            "Please provide redundancy count along with disperse-data count",
        ),
        ("gv redundancy 1 a:/d/1 b:/d/1", (11, 1), "number of bricks must be greater than 2"),
        (f"gv disperse 6 redundancy 3 {SIX}", (11, 1), "less than 3 for a disperse 6 volume"),
        (f"gv disperse 4 redundancy 1 {SIX} g:/d/1 h:/d/1", (11, 1), None),
        (
            f"gv disperse 4 redundancy 1 {SIX}",
            (11, 1),
            "number of bricks is not a multiple of disperse count",
        ),
    ],
)
def test_count_rules(line, version, reason):
    v = judge(line, version)
    if reason is None:
        assert v.accepted, v.reasons
    else:
        assert not v.accepted
        assert any(r.startswith(reason) or reason in r for r in v.reasons), v.reasons


def test_disperse_data_cap_is_11_only():
    bricks = " ".join(f"s{i}:/d/1" for i in range(19))
    assert not judge(f"gv disperse 19 redundancy 2 {bricks}", (11, 1)).accepted
    v = judge(f"gv disperse 19 redundancy 2 {bricks}", (10, 3))
    assert v.accepted
    assert any("not optimal on most workloads" in w for w in v.warnings)


@pytest.mark.parametrize(
    ("disperse", "redundancy"), [(3, 1), (4, 1), (5, 1), (6, 2), (7, 3), (10, 2), (12, 4)]
)
def test_default_redundancy_matches_gluster(disperse, redundancy):
    assert default_redundancy(disperse) == redundancy


def test_disperse_without_redundancy_is_explained():
    v = judge(f"gv disperse {SIX}")
    assert v.accepted
    assert (v.count_string, v.type_name) == ("1 x (4 + 2) = 6", "Disperse")
    assert "gluster picks redundancy 2 for disperse 6" in v.warnings[0]


def test_disperse_data_alone_takes_the_rest_as_redundancy():
    assert judge(f"gv disperse-data 4 {SIX}").count_string == "1 x (4 + 2) = 6"


def test_arbiter_shapes():
    for line, version in (
        (f"gv replica 2 arbiter 1 {THREE}", (5, 0)),
        (f"gv replica 3 arbiter 1 {THREE}", (3, 7)),
    ):
        v = judge(line, version)
        assert v.accepted
        assert (v.type_name, v.count_string) == ("Replicate", "1 x (2 + 1) = 3")


def test_thin_arbiter_brick_is_not_in_a_group():
    v = judge("gv replica 2 thin-arbiter 1 a:/d/1 b:/d/1 t:/ta/1")
    assert v.accepted
    assert v.groups == (("a:/d/1", "b:/d/1"),)
    assert v.count_string == "1 x 2 = 2"
    assert not any("split-brain" in w for w in v.warnings)


def test_stripe_is_accepted_before_6_with_a_warning():
    v = judge("gv stripe 2 replica 2 a:/d/1 b:/d/1 c:/d/1 d:/d/1", (3, 7))
    assert v.accepted
    assert v.type_name == "Striped-Replicate"
    assert v.count_string == "1 x 2 x 2 = 4"
    assert v.groups == (("a:/d/1", "b:/d/1"), ("c:/d/1", "d:/d/1"))
    assert "deprecated" in v.warnings[0]


def test_replica_2_warns_about_split_brain():
    v = judge("gv replica 2 a:/d/1 b:/d/1")
    assert v.accepted
    assert v.warnings[0].startswith("Replica 2 volumes are prone to split-brain. Use Arbiter or Replica 3")
    assert "`replica 2 arbiter 1`" in v.warnings[0]
    assert "`replica 3 arbiter 1`" in judge("gv replica 2 a:/d/1 b:/d/1", (3, 7)).warnings[0]


def test_11_0_type_mislabel_is_announced():
    v = judge(f"gv replica 3 {THREE}", (11, 0))
    assert v.type_name == "Distributed-Replicate"
    assert "display bug fixed in 11.1" in v.warnings[0]


@pytest.mark.parametrize(
    ("name", "version", "reason"),
    [
        ("all", (11, 1), '"all" cannot be the name of a volume.'),
        ("volume", (11, 1), '"volume" cannot be the name of a volume.'),
        ("-gv", (11, 1), "starts with '-'"),
        ("g.v", (11, 1), 'Volume name should not contain "." character.'),
        ("gé", (11, 1), 'Volume name should not contain "é" character.'),
        ("x" * 252, (9, 6), "Volume name exceeds 251 characters."),
        ("x" * 257, (11, 1), "Volume name exceeds 256 characters."),
        ("", (11, 1), "the volume name is empty"),
    ],
)
def test_volume_names(name, version, reason):
    v = validate(CreateRequest(name, ("a:/d/1",)), version)
    assert len(v.reasons) == 1
    assert reason in v.reasons[0]


def test_long_names_within_the_limit_pass():
    # the CLI takes 256 characters, but glusterd's volfile name "/<vol>.<host>.<path>.vol" must stay
    # under 256: with brick a:/d/1 the name may have 249 - 5 characters (test_layout_staging)
    assert validate(CreateRequest("x" * 244, ("a:/d/1",)), (10, 3)).accepted
    assert validate(CreateRequest("x_-9" * 60, ("a:/d/1",)), (9, 6)).accepted


@pytest.mark.parametrize(
    ("bricks", "version", "reason"),
    [
        (("localhost:/d/1",), (11, 1), LOOPBACK),
        (("127.0.0.1:/d/1",), (11, 1), LOOPBACK),
        (("0.0.0.0:/d/1",), (11, 1), LOOPBACK),
        (("LOCALHOST:/d/1",), (11, 1), "loopback name, which every node reads as itself"),
        (("::1:/d/1",), (11, 1), "loopback name"),
        (("a:/d/1", "a:/d/1/"), (11, 1), "Found duplicate exports a:/d/1/"),
        (("a:d",), (11, 1), "Wrong brick type: a:d, use <HOSTNAME>:<export-dir-abs-path>"),
        (
            ("a:/var/lib/glusterd/b",),
            (10, 3),
            "volume create: gv: failed: "
            "Brick isn't allowed to be created inside glusterd's working directory.",
        ),
        (("a:/var/lib/glusterd/b",), (3, 7), "inside /var/lib/glusterd, glusterd's own state directory"),
        (("a:/d/my brick",), (11, 1), "contains a space"),
        (("a:/",), (11, 1), "is the server's root directory"),
    ],
)
def test_brick_rules(bricks, version, reason):
    v = validate(CreateRequest("gv", bricks), version)
    assert not v.accepted
    assert any(reason in r for r in v.reasons), v.reasons


def test_duplicates_are_refused_even_with_force_and_aliases_too():
    assert not validate(CreateRequest("gv", ("a:/d/1", "a:/d/1"), force=True)).accepted
    v = judge("gv replica 2 rpi1:/X 10.0.1.1:/X force", same_server={"10.0.1.1": "rpi1"})
    assert any("are the same directory on the same server" in r for r in v.reasons)


def test_shared_storage_may_live_in_glusterd_workdir():
    req = CreateRequest("gluster_shared_storage", ("a:/var/lib/glusterd/ss_brick",))
    assert validate(req).accepted


def test_127_0_1_1_and_nonstandard_hosts_only_warn():
    v = validate(CreateRequest("gv", ("127.0.1.1:/d/1", "bad_host:/d/1")))
    assert v.accepted
    assert any("Debian maps a node's own name to 127.0.1.1" in w for w in v.warnings)
    assert "internet address 'bad_host' does not conform to standards" in v.warnings


def test_unresolvable_hosts_are_refused():
    v = judge(f"gv replica 3 {THREE}", resolvable={"c": False, "a": True})
    assert v.reasons == (
        "brick host c does not resolve: glusterd then silently skips its check for two bricks of a set on "
        "one server, and the create fails later. Add it to DNS or /etc/hosts on every node",
    )


def test_mount_rules_when_mounts_are_known():
    mounts = {"a": ["/mnt/usb"], "rpi0": ["/bricks"]}
    v = judge("gv a:/mnt/usb rpi0:/root/brick a:/mnt/usb/gv rpi0:/bricks/gv", mounts=mounts)
    assert v.reasons == (
        "volume create: gv: failed: The brick a:/mnt/usb is a mount point. Please create a sub-directory "
        "under the mount point and use that as the brick directory. Or use 'force' at the end of the command "
        "if you want to override this behavior.",
        "volume create: gv: failed: The brick rpi0:/root/brick is being created in the root partition. It is "
        "recommended that you don't use the system's root partition for storage backend. Or use 'force' at "
        "the end of the command if you want to override this behavior.",
        # the layout also nests a:/mnt/usb/gv inside a:/mnt/usb (test_layout_staging)
        'brick a:/mnt/usb/gv is inside brick a:/mnt/usb on the same server: glusterd refuses it in staging '
        '("parent directory /mnt/usb is already part of a volume"); one brick\'s directory would hold '
        "another's files and .glusterfs. Use sibling directories",
    )
    forced = judge("gv a:/mnt/usb rpi0:/root/brick force", mounts=mounts)
    assert forced.accepted
    assert any(w.startswith("The brick a:/mnt/usb is a mount point") for w in forced.warnings)


def test_mount_guesses_without_mount_information():
    v = judge("gv a:/mnt/usb b:/root/brick c:/mnt/usb/gv")
    assert v.accepted
    assert any("looks like a mount point itself" in w and "/mnt/usb/brick" in w for w in v.warnings)
    assert any("b:/root/brick is likely on the root partition" in w for w in v.warnings)
    assert not any("c:/mnt/usb/gv" in w for w in v.warnings)


def test_parse_notes_and_force_show_as_warnings():
    v = judge(f"gv replica 0x3 {THREE} force")
    assert v.accepted
    assert v.warnings[0] == "gluster reads `replica 0x3` as replica 3; write 3 to be clear"
    assert any(w.startswith("force also skips") for w in v.warnings)


def test_many_offending_sets_are_summarised():
    bricks = " ".join(f"s{i // 2}:/d/{i}" for i in range(40))
    v = judge(f"gv replica 2 {bricks}")
    assert len(v.same_server_groups) == 20
    assert "... and 15 more sets like that" in v.reasons


def test_arbiter_suggestion_keeps_arbiters_last():
    line = "gv replica 3 arbiter 1 a:/d/1 a:/d/2 c:/arb/1 b:/d/1 b:/d/2 c:/arb/2"
    v = judge(line)
    assert v.suggestion is not None
    assert v.suggestion[2::3] == ("c:/arb/1", "c:/arb/2")
    assert not any("arbiter bricks into data bricks" in w for w in v.warnings)
