"""The rules glusterd applies after the CLI (glustercheck/layout/staging.py, glusterd_limits.py),
each with its evidence: a glusterd answer recorded on the simulated cluster's glusterd 10.3
(/work/shared/docs/gluster-cli-facts.md, "seen on 10.3") where one exists, else the source line it
comes from (glusterfs at tags v10.3 and v11.1, where these functions are identical).
"""

from __future__ import annotations

import pytest

from glustercheck.glusterd_limits import volfile_name
from glustercheck.layout import parse_create_command, validate
from glustercheck.layout.staging import order_check_conflict

V10 = (10, 3)


def judge(line: str, version: tuple[int, int] = V10, **kw):  # type: ignore[no-untyped-def]
    return validate(parse_create_command(line), version, **kw)


# --- brick order: the wrap-around of glusterd_check_brick_order ----------------------------------
# Recorded (gluster-cli-facts.md, seen on 10.3): "without `force` the same-server check runs before
# anything else and, for a trailing partial group, compares it with the first bricks (wraps
# around)"; "replica 3 with 4 bricks, replica 2 with 3 bricks" fail late with "Failed to create
# volume files". Source: glusterd-utils.c glusterd_check_brick_order (the list head after the last
# brick, then the first bricks), called from glusterd-volume-ops.c glusterd_op_stage_create_volume.

@pytest.mark.parametrize(("servers", "size", "conflict"), [
    ("abca", 3, (3, 0)),      # replica 3, 4 bricks: the partial set {a} meets the first brick a
    ("abcd", 3, None),        # ... d is no first brick's server: glusterd lets it through
    ("aba", 2, None),         # replica 2, 3 bricks: the last brick meets only the list head
    ("abcdefa", 3, (6, 0)),
    ("abcbd", 3, None),
    ("abab", 2, None),        # whole sets: no wrap-around
    ("aab", 2, (0, 1)),       # a set on one server is found as usual
])
def test_order_check_walks_the_circular_list_like_glusterd(servers, size, conflict) -> None:
    assert order_check_conflict(list(servers), size) == conflict


def test_partial_last_set_meeting_the_first_brick_is_a_staging_refusal_not_a_late_failure() -> None:
    v = judge("gv replica 3 rpi0:/b/1 rpi1:/b/1 rpi2:/b/1 rpi0:/b/2")
    assert not v.accepted
    assert v.reasons[0].startswith("4 bricks do not make whole replica sets of 3 either: give 3 or 6")
    assert "Multiple bricks of a replicate volume are present on the same server" in v.reasons[1]
    assert "compares the last, partial set with the first bricks" in v.reasons[2]
    assert "rpi0:/b/2 and rpi0:/b/1" in v.reasons[2] or "rpi0:/b/1 and rpi0:/b/2" in v.reasons[2]
    assert not any('accepts the command but then fails with "Failed' in r for r in v.reasons)


def test_partial_last_set_on_new_servers_still_fails_late() -> None:
    v = judge("gv replica 3 rpi0:/b/1 rpi1:/b/1 rpi2:/b/1 rpi3:/b/1")
    assert 'accepts the command but then fails with "Failed to create volume files"' in v.reasons[0]
    assert len(v.reasons) == 1


def test_force_skips_the_order_check_so_the_count_fails_late() -> None:
    v = judge("gv replica 3 rpi0:/b/1 rpi1:/b/1 rpi2:/b/1 rpi0:/b/2 force")
    assert 'accepts the command but then fails with "Failed to create volume files"' in v.reasons[0]


def test_an_unresolvable_host_makes_glusterd_skip_the_order_check() -> None:
    # getaddrinfo fails -> `ret = 0; goto out` in glusterd_check_brick_order
    v = judge("gv replica 3 rpi0:/b/1 rpi1:/b/1 nohost:/b/1 rpi0:/b/2", resolvable={"nohost": False})
    assert any("accepts the command but then fails" in r for r in v.reasons)
    assert not any("compares the last, partial set" in r for r in v.reasons)


def test_same_server_in_a_whole_set_with_a_partial_last_set_is_refused_in_staging() -> None:
    v = judge("gv replica 2 rpi0:/b/1 rpi0:/b/2 rpi1:/b/1")
    assert any("Multiple bricks of a replicate volume" in r for r in v.reasons)
    assert not any('accepts the command but then fails with' in r for r in v.reasons)


def test_before_10_the_cli_refuses_the_count_up_front() -> None:
    v = judge("gv replica 3 rpi0:/b/1 rpi1:/b/1 rpi2:/b/1 rpi0:/b/2", (9, 6))
    assert v.reasons[0] == "number of bricks is not a multiple of replica count"


# --- length limits at the glusterd layer ----------------------------------------------------------
# glusterd-store.c glusterd_store_is_valid_brickpath (v10.3, v11.1): volname of GD_VOLUME_NAME_MAX
# (256) or more, a path component of _POSIX_PATH_MAX (256) or more, or a brickinfo that cannot be
# built -> "brick path %s is too long."; glusterd-utils.c glusterd_brickinfo_new_from_brick:
# hostname[NAME_MAX] and path[VALID_GLUSTERD_PATHMAX = PATH_MAX - 320]; glusterd-volgen.c
# glusterd_is_valid_volfpath: strlen(strrchr(volfpath, '/')) < _POSIX_PATH_MAX.

def test_volfile_name_is_built_as_glusterd_builds_it() -> None:
    # get_brick_filepath: "%s/%s.%s.%s.vol" with GLUSTERD_REMOVE_SLASH_FROM_PATH(path)
    assert volfile_name("gv", "rpi0", "/mnt/usb/gv") == "/gv.rpi0.mnt-usb-gv.vol"


def test_a_256_character_volume_name_passes_the_cli_and_is_refused_by_glusterd() -> None:
    # cli_validate_volname refuses only `volname_len > GD_VOLUME_NAME_MAX` (cli-cmd-parser.c)
    v = judge(f"{'v' * 256} a:/d/1")
    assert v.reasons == (
        f"volume create: {'v' * 256}: failed: brick path a:/d/1 is too long. (glusterd stores volume "
        "names of at most 255 characters (the CLI lets 256 through); this one has 256)",)


@pytest.mark.parametrize(("name_length", "accepted"), [(244, True), (245, False)])
def test_volume_name_host_and_path_share_the_volfile_name_budget(name_length, accepted) -> None:
    # "/" + vol + "." + "a" + "." + "d-1" + ".vol" = name_length + 11 characters, must be < 256
    v = judge(f"{'v' * name_length} a:/d/1")
    assert v.accepted is accepted
    if not accepted:
        assert v.reasons[0].startswith(f"volume create: {'v' * 245}: failed: Volume file path for "
                                       f"volume {'v' * 245} and brick path a:/d/1 is too long.")


def test_a_path_component_of_256_characters_is_too_long() -> None:
    v = judge(f"gv a:/d/{'x' * 256}")
    assert v.reasons[0].startswith(f"volume create: gv: failed: brick path a:/d/{'x' * 256} is too long.")
    assert "allows at most 255 per component" in v.reasons[0]


def test_a_brick_path_longer_than_glusterd_keeps_is_too_long() -> None:
    path = "/" + "/".join(["d" * 200] * 19)  # 3819 characters, every component short
    v = judge(f"gv a:{path}")
    assert "brick path has 3819 characters; glusterd keeps at most 3775" in v.reasons[0]


# --- nested bricks on one server ------------------------------------------------------------------
# glusterd-utils.c glusterd_is_path_in_use (via glusterd_validate_and_create_brickpath and
# glusterd_check_and_set_brick_xattr, staging in command order): "parent directory %s is already
# part of a volume"; only the path and its parents are looked at.

def test_a_brick_inside_an_earlier_one_is_refused_in_staging() -> None:
    v = judge("gv replica 2 a:/b b:/b a:/b/c b:/b/c")
    assert any('refuses it in staging ("parent directory /b is already part of a volume")' in r
               for r in v.reasons)


def test_a_brick_before_the_one_containing_it_is_not_caught_by_glusterd_but_refused_here() -> None:
    v = judge("gv replica 2 a:/b/c b:/b/c a:/b b:/b")
    assert any("brick a:/b/c is inside brick a:/b on the same server: glusterd does not catch it in "
               "this order" in r for r in v.reasons)


def test_nesting_is_judged_per_server_through_aliases() -> None:
    assert judge("gv a:/b b:/b/c").accepted  # different servers: fine
    v = judge("gv a:/b 10.0.0.1:/b/c force", same_server={"10.0.0.1": "a"})
    assert any("inside brick a:/b on the same server: force makes glusterd accept it" in r
               for r in v.reasons)


def test_sibling_directories_with_a_common_prefix_are_not_nested() -> None:
    assert judge("gv replica 2 a:/b/gv b:/b/gv a:/b/gv2 b:/b/gv2").accepted


# --- hosts that can never be a peer ----------------------------------------------------------------
# glusterd-utils.c glusterd_new_brick_validate -> glusterd_resolve_brick -> glusterd-peer-utils.c
# glusterd_hostname_to_uuid: "Host %s is not in 'Peer in Cluster' state"; glusterd-utils.c
# glusterd_check_brick_order: char brick_addr[128].

@pytest.mark.parametrize("host", ["224.0.0.1", "255.255.255.255", "240.0.0.1", "ff02::1", "::"])
def test_addresses_no_peer_can_have_are_refused(host) -> None:
    v = judge(f"gv {host}:/b/1")  # gluster splits at the last colon: IPv6 hosts go unbracketed
    assert any(r.startswith(f"Host {host} is not in 'Peer in Cluster' state") for r in v.reasons)


def test_a_brick_host_of_128_characters_overflows_the_order_check_buffer() -> None:
    host = ".".join(["h" * 63, "h" * 63, "h"])  # 129 characters, a valid DNS name
    v = judge(f"gv replica 2 {host}:/b/1 b:/b/1")
    assert any("copies hosts into a 128-byte buffer" in r for r in v.reasons)
    assert judge(f"gv replica 2 {host}:/b/1 b:/b/1 force").accepted is True


# --- `--` before the volume name -------------------------------------------------------------------
# cli/src/cli.c parse_cmdline: `--` ends the options (cli_opt_parse("") returns 1); later words are
# kept, so `--x` after it is a volume name, which cli_validate_volname refuses (leading '-').

def test_double_dash_ends_gluster_options() -> None:
    assert parse_create_command(["gluster", "--mode=script", "volume", "create", "--", "gv",
                                 "a:/b/1"]).volume == "gv"
    with pytest.raises(ValueError, match="volume name '--xml' starts with '-'"):
        parse_create_command(["gluster", "volume", "create", "--", "--xml", "a:/b/1"])
