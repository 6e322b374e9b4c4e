"""The data path's two scripts, run for real by sh on this machine with `mount`, `umount` and
`getfattr` stood in by small scripts (the mount a plain directory): files written, read back,
placed, removed, the mount point gone, whatever failed; and the parsers on gluster's pathinfo."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from glustercheck.datapath import (
    GO_ON,
    MOUNT_FAILED,
    STOP,
    DataPathRun,
    parse_read,
    parse_sums,
    placement_problems,
)

NAMES = tuple(f"glustercheck-0123456789ab-{i}" for i in range(3))
# What a 2 x 2 volume's FUSE mount answers for a file on the second replica set (gluster 10/11).
PATHINFO = ('"(<DISTRIBUTE:gv-dht> (<REPLICATE:gv-replicate-1> '
            '<POSIX(/mnt/usb/gv):rpi2:/mnt/usb/gv/{f}> <POSIX(/mnt/usb/gv):rpi3:/mnt/usb/gv/{f}>))"')


def _tools(tmp_path: Path, *, mount_fails: bool = False, getfattr: bool = True) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    tools = {"mount": "echo 'mount: gv: mount failed' >&2; exit 32" if mount_fails else "exit 0",
             "umount": "exit 0"}
    if getfattr:  # `getfattr -n NAME -e text FILE...`: each file's header and value
        line = PATHINFO.replace("{f}", "$f")
        tools["getfattr"] = ('shift 4; for f; do echo "# file: $f"; '
                             f'echo "trusted.glusterfs.pathinfo={line}"; echo; done'.replace(
                                 '"(<', '\\"(<').replace('>))"', '>))\\"'))
    for name, body in tools.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    path_dirs = f"{bin_dir}:/usr/bin:/bin"
    if not getfattr:  # hide the machine's own getfattr
        path_dirs = f"{bin_dir}:{_without('getfattr', tmp_path)}"
    return {"PATH": path_dirs, "LANG": "C"}


def _without(tool: str, tmp_path: Path) -> str:
    """A directory of links to /usr/bin and /bin commands, all but `tool`."""
    shadow = tmp_path / "shadow"
    shadow.mkdir(exist_ok=True)
    for directory in ("/usr/bin", "/bin"):
        for entry in os.listdir(directory):
            if entry != tool and not (shadow / entry).exists():
                (shadow / entry).symlink_to(Path(directory) / entry)
    return str(shadow)


GO_LINE = f"{GO_ON}\n"


def _run(script: str, env: dict[str, str], told: str = "") -> subprocess.CompletedProcess[str]:
    """`told`: the side's stdin (what the trial tells it once it is mounted: the writer once the
    write is decided, the reader once the writer is done)."""
    return subprocess.run(["sh", "-c", script], input=told, capture_output=True, text=True, env=env,
                          timeout=30, check=False)


def _side(tmp_path: Path) -> DataPathRun:
    return DataPathRun("rpi3", "gv", str(tmp_path / "mnt" / "glustercheck-gv-1a2b3c4d"), NAMES)


def test_written_files_are_read_back_placed_and_removed(tmp_path: Path) -> None:
    env = _tools(tmp_path)
    side = _side(tmp_path)
    wrote = _run(side.write_script(), env, GO_LINE)
    assert wrote.returncode == 0, wrote.stderr
    written = parse_sums(wrote.stdout)
    assert sorted(written) == sorted(NAMES)
    # The files stay for the reader (with no real mount they sit in the directory itself, which
    # therefore stays too; the reader works on the same directory).
    assert sorted(os.listdir(side.mount)) == sorted(NAMES)
    reader = DataPathRun("rpi2", "gv", side.mount, NAMES)
    back = parse_read(_run(reader.read_script(), env, GO_LINE).stdout)
    assert back.sums == written
    assert back.placement == {n: frozenset({("rpi2", "/mnt/usb/gv"), ("rpi3", "/mnt/usb/gv")}) for n in NAMES}
    assert not Path(side.mount).exists()  # files removed, unmounted, directory gone


@pytest.mark.parametrize("told", [f"{STOP}\n", ""], ids=["told-not-to", "nothing"])
def test_a_reader_not_told_to_read_unmounts_and_leaves_nothing(tmp_path: Path, told: str) -> None:
    """The writer failed (or the controller went away): the reader, mounted meanwhile, reads
    nothing, removes whatever files the writer left, unmounts and removes its directory."""
    env = _tools(tmp_path)
    side = _side(tmp_path)
    assert _run(side.write_script(), env, GO_LINE).returncode == 0
    reader = DataPathRun("rpi2", "gv", side.mount, NAMES)
    result = _run(reader.read_script(), env, told)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert not Path(side.mount).exists()


@pytest.mark.parametrize("told", [f"{STOP}\n", ""], ids=["told-not-to", "nothing"])
def test_a_writer_not_told_to_write_unmounts_and_leaves_nothing(tmp_path: Path, told: str) -> None:
    """The heal state, asked while it mounted, forbade the write (or the controller went
    away): no file is written, the volume unmounted, the directory removed."""
    env = _tools(tmp_path)
    side = _side(tmp_path)
    result = _run(side.write_script(), env, told)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr
    assert not Path(side.mount).exists()


def test_a_failed_write_removes_what_it_wrote(tmp_path: Path) -> None:
    env = _tools(tmp_path)
    side = DataPathRun("rpi3", "gv", str(tmp_path / "mnt" / "m"), (*NAMES, "no/such/dir/file"))
    result = _run(side.write_script(), env, GO_LINE)
    assert result.returncode == 93
    assert not Path(side.mount).exists()


def test_a_mount_that_fails_says_so_and_leaves_no_directory(tmp_path: Path) -> None:
    env = _tools(tmp_path, mount_fails=True)
    side = _side(tmp_path)
    result = _run(side.write_script(), env)
    assert result.returncode == MOUNT_FAILED
    assert "mount failed" in result.stderr
    assert not Path(side.mount).exists()


def test_without_getfattr_the_placement_is_unknown_not_wrong(tmp_path: Path) -> None:
    env = _tools(tmp_path, getfattr=False)
    side = _side(tmp_path)
    Path(side.mount).mkdir(parents=True)
    back = parse_read(_run(side.read_script(), env, GO_LINE).stdout)
    assert back.placement is None


SETS = [frozenset({("rpi0", "/b"), ("rpi1", "/b")}), frozenset({("rpi2", "/b"), ("rpi3", "/b")})]


@pytest.mark.parametrize(("where", "problem"), [
    ({("rpi2", "/b"), ("rpi3", "/b")}, None),
    # A DHT link: the set it hashes to and the set holding the data, both whole.
    ({("rpi0", "/b"), ("rpi1", "/b"), ("rpi2", "/b"), ("rpi3", "/b")}, None),
    ({("rpi2", "/b")}, "f is on bricks rpi2:/b, expected all bricks of one replica set"),
    ({("rpi1", "/b"), ("rpi2", "/b"), ("rpi3", "/b")}, "f is on bricks rpi1:/b, rpi2:/b, rpi3:/b"),
    (set(), "f is on bricks none"),
])
def test_placement_needs_whole_replica_sets(where: set[tuple[str, str]], problem: str | None) -> None:
    found = placement_problems({"f": frozenset(where)}, SETS)
    if problem is None:
        assert found == []
    else:
        (message,) = found
        assert message.startswith(problem)


# One `getfattr -n trusted.glusterfs.pathinfo -e text F0 F1 F2 2>&1` through a 2 x 2 volume's
# mount on a simulated node (gluster 10.3), F1 missing: its error comes first, with no header.
GETFATTR_LIVE = """getfattr: glustercheck-0123456789ab-1: No such file or directory
# file: glustercheck-0123456789ab-0
trusted.glusterfs.pathinfo="(<DISTRIBUTE:gv-dht> (<REPLICATE:gv-replicate-1> <POSIX(/mnt/usb/gv):rpi2:/mnt/usb/gv/glustercheck-0123456789ab-0> <POSIX(/mnt/usb/gv):rpi3:/mnt/usb/gv/glustercheck-0123456789ab-0>))"

# file: glustercheck-0123456789ab-2
trusted.glusterfs.pathinfo="(<DISTRIBUTE:gv-dht> (<REPLICATE:gv-replicate-1> <POSIX(/mnt/usb/gv):rpi2:/mnt/usb/gv/glustercheck-0123456789ab-2> <POSIX(/mnt/usb/gv):rpi3:/mnt/usb/gv/glustercheck-0123456789ab-2>))"

"""  # noqa: E501


def test_one_getfattr_reads_every_files_placement_and_an_unreadable_file_has_none() -> None:
    back = parse_read(f"@@glustercheck-data@@sums\n@@glustercheck-data@@pathinfo\n{GETFATTR_LIVE}")
    second_set = frozenset({("rpi2", "/mnt/usb/gv"), ("rpi3", "/mnt/usb/gv")})
    assert back.placement == {NAMES[0]: second_set, NAMES[2]: second_set}


def test_the_reader_asks_getfattr_once_for_all_its_files(tmp_path: Path) -> None:
    """A process per file (and a sed behind each) was 16 process starts for 8 files."""
    script = _side(tmp_path).read_script()
    assert script.count("getfattr -n") == 1
    assert all(f" {n}" in script.split("getfattr -n", 1)[1].split("\n", 1)[0] for n in NAMES)
