"""The simulated cluster's pure parts: --os parsing, the image recipe hash, the per-node files
(fstab, sshd_config, hosts, apt sources), neighbour-table sizing and configuration errors."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest

from simcluster import SimConfig, cli, node_files, recipes
from simcluster.images import ImageBuildError, check_mirror
from simcluster.network import neighbour_thresholds
from simcluster.os_choice import describe, parse_os_choice
from simcluster.recipes import ImageRecipe

NAMES = ["rpi0", "rpi1", "rpi2", "rpi3"]


# ----- --os ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("bookworm", ["bookworm"] * 4),
    ("trixie", ["trixie"] * 4),
    ("rpi0=bookworm,rpi1=trixie", ["bookworm", "trixie", "bookworm", "bookworm"]),
    ("trixie,rpi0=bookworm", ["bookworm", "trixie", "trixie", "trixie"]),
    (" rpi3=trixie , rpi1=trixie ", ["bookworm", "trixie", "bookworm", "trixie"]),
])
def test_os_choice_maps_every_node(text: str, expected: list[str]) -> None:
    assert parse_os_choice(text, NAMES) == dict(zip(NAMES, expected, strict=True))


@pytest.mark.parametrize(("text", "message"), [
    ("buster", "unknown suite 'buster' in 'buster'; known suites: bookworm, trixie"),
    ("rpi0=jessie", "unknown suite 'jessie' in 'rpi0=jessie'"),
    ("rpi9=trixie", "no node 'rpi9' in this cluster (nodes: rpi0, rpi1, rpi2, rpi3)"),
    ("rpi1=trixie,rpi1=bookworm", "node rpi1 is given twice"),
    ("trixie,bookworm", "more than one default suite (trixie, bookworm)"),
    ("rpi0=bookworm,,rpi1=trixie", "empty item; expected SUITE or NODE=SUITE"),
    ("", "empty item"),
])
def test_os_choice_errors_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"^--os ") as info:
        parse_os_choice(text, NAMES)
    assert message in str(info.value)


def test_describe_names_the_gluster_version_of_a_uniform_cluster() -> None:
    assert describe(dict.fromkeys(NAMES, "trixie")) == "trixie (gluster 11.1)"
    assert describe({"rpi0": "bookworm", "rpi1": "trixie"}) == "rpi0 bookworm, rpi1 trixie"


def test_bad_configuration_is_refused_before_anything_starts() -> None:
    with pytest.raises(ValueError, match="no node 'rpi7'"):
        SimConfig(os="rpi7=trixie")
    with pytest.raises(ValueError, match="image variant 'slim' must be one of full, fresh"):
        SimConfig(variant="slim")
    with pytest.raises(ValueError, match="USB stick filesystem 'btrfs' must be one of ext4, xfs"):
        SimConfig(fs="btrfs")
    with pytest.raises(ValueError, match=r"128 MB is too small for xfs \(min 300 MB\)"):
        SimConfig(fs="xfs", disk_size_mb=128)
    assert SimConfig(fs="xfs").disk_mb == 300
    assert SimConfig().disk_mb == 128


def test_cli_options_map_to_the_configuration() -> None:
    args = cli._parser().parse_args(["up", "--fresh", "--os", "trixie", "--fs", "xfs"])
    assert (args.variant, args.os, args.fs) == ("fresh", "trixie", "xfs")
    assert cli._parser().parse_args(["up"]).variant == "full"
    assert cli._parser().parse_args(["usb-unplug", "rpi2"]).node == "rpi2"
    assert cli.main(["up", "--variant", "slim"]) == cli.EX_USAGE


# ----- image recipes ------------------------------------------------------------------------

def test_recipe_hash_is_stable_and_names_the_image() -> None:
    recipe = ImageRecipe("bookworm")
    assert recipe.digest == ImageRecipe("bookworm", "full", "pi", 1000).digest
    assert len(recipe.digest) == 16
    assert recipe.name == f"bookworm-full-{recipe.digest}"
    assert recipe.repo_name == f"bookworm-{recipe.digest}"


def test_recipe_hash_changes_with_suite_variant_packages_user_and_build_version(monkeypatch) -> None:
    base = ImageRecipe("bookworm").digest  # digests are computed when asked: keep the string
    others = {ImageRecipe("trixie").digest, ImageRecipe("bookworm", "fresh").digest,
              ImageRecipe("bookworm", user="alice").digest}
    assert base not in others
    assert len(others) == 3
    monkeypatch.setattr(recipes, "BASE_PACKAGES", (*recipes.BASE_PACKAGES, "less"))
    with_less = ImageRecipe("bookworm").digest
    monkeypatch.setattr(recipes, "IMAGE_BUILD_VERSION", recipes.IMAGE_BUILD_VERSION + 1)
    assert len({base, with_less, ImageRecipe("bookworm").digest}) == 3


def test_fresh_image_has_no_gluster_and_follows_its_full_image() -> None:
    fresh = ImageRecipe("trixie", "fresh")
    assert "glusterfs-server" not in fresh.packages
    assert "glusterfs-server" in ImageRecipe("trixie").packages
    assert fresh.source_recipe == ImageRecipe("trixie")
    assert fresh.repo_name == ImageRecipe("trixie").repo_name
    full = dataclasses.replace(ImageRecipe("trixie"), user="bob")
    assert dataclasses.replace(fresh, user="bob").source_recipe == full


def test_customize_script_makes_a_pi_after_first_boot() -> None:
    script = ImageRecipe("bookworm").customize_script()
    assert "useradd --uid 1000 --create-home --shell /bin/bash --groups sudo" in script
    assert "printf '%s ALL=(ALL) NOPASSWD: ALL\\n' pi > /etc/sudoers.d/010_pi-nopasswd" in script
    assert "/etc/sudoers.d/010_pi-nopasswd" in script
    assert "rm -f /etc/ssh/ssh_host_*" in script
    assert "multi-user.target.wants/glusterd.service" in script


# ----- per-node files -----------------------------------------------------------------------

def test_fstab_mounts_the_stick_with_nofail() -> None:
    lines = [line for line in node_files.fstab("ext4").splitlines() if not line.startswith("#")]
    assert lines == ["/dev/sda1\t/mnt/usb\text4\tdefaults,nofail\t0\t2"]
    assert "\txfs\t" in node_files.fstab("xfs")


def test_sshd_config_is_key_only_on_the_node_address_and_refuses_root() -> None:
    config = node_files.sshd_config("rpi2", "pi", "10.0.1.2")
    settings = dict(line.split(" ", 1) for line in config.splitlines() if not line.startswith("#"))
    assert settings["ListenAddress"] == "10.0.1.2"
    assert settings["PasswordAuthentication"] == "no"
    assert settings["KbdInteractiveAuthentication"] == "no"
    assert settings["PermitRootLogin"] == "no"  # as Raspberry Pi OS
    assert settings["HostKey"] == node_files.HOST_KEY
    assert settings["PidFile"] == "/run/sshd.pid"
    assert "Match" not in config


def test_sshd_config_behind_a_bastion_ends_with_the_refusal_of_the_controller() -> None:
    config = node_files.sshd_config("rpi2", "pi", "10.0.1.2", refuse_from="10.0.255.254")
    lines = [line for line in config.splitlines() if not line.startswith("#")]
    # Last: every line after a Match belongs to it.
    assert lines[-2:] == ["Match Address 10.0.255.254", "    DenyUsers *"]
    assert config.startswith(node_files.sshd_config("rpi2", "pi", "10.0.1.2"))


def test_bastion_is_the_first_node_and_only_the_others_are_behind_it() -> None:
    config = SimConfig(bastion=True)
    assert config.bastion_node == "rpi0"
    assert [config.behind_bastion(n) for n in NAMES] == [False, True, True, True]
    assert SimConfig().bastion_node is None
    assert not any(SimConfig().behind_bastion(n) for n in NAMES)
    assert cli._parser().parse_args(["up", "--bastion"]).bastion
    assert not cli._parser().parse_args(["up"]).bastion


def test_hosts_is_debians_with_the_own_name_on_127_0_1_1() -> None:
    assert node_files.hosts("rpi1") == "127.0.0.1\tlocalhost\n127.0.1.1\trpi1\n"


def test_apt_sources_point_at_the_bridge_only() -> None:
    lines = [line for line in node_files.apt_sources("trixie").splitlines()
             if not line.startswith("#")]
    assert lines == ["deb [trusted=yes] http://10.0.255.254:8642/trixie/ ./"]


# ----- host side ----------------------------------------------------------------------------

def test_neighbour_thresholds_grow_for_big_clusters_and_never_shrink() -> None:
    defaults = {"gc_thresh1": 128, "gc_thresh2": 512, "gc_thresh3": 1024}
    assert neighbour_thresholds(4, defaults) == defaults
    big = neighbour_thresholds(64, defaults)
    assert big == {"gc_thresh1": 4160, "gc_thresh2": 8320, "gc_thresh3": 16640}
    assert big["gc_thresh1"] < big["gc_thresh2"] < big["gc_thresh3"]
    assert neighbour_thresholds(16, {**defaults, "gc_thresh3": 5000})["gc_thresh3"] == 5000


def test_unreachable_mirror_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on: refused at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mirror = f"http://127.0.0.1:{port}/debian"
    with pytest.raises(ImageBuildError) as info:
        check_mirror(mirror, "trixie", timeout=5)
    message = str(info.value)
    assert message.startswith(f"cannot build the trixie node image: Debian's package mirror {mirror} "
                              "cannot be reached from this machine")
    assert "SIMCLUSTER_DEBIAN_MIRROR" in message
    assert "Connection refused" in message
