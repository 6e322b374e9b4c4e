"""Host-key decisions offline: known_hosts patterns, hashed names, markers, and each policy."""

from __future__ import annotations

import base64
from pathlib import Path

import paramiko
import pytest

from glustercheck.errors import UnreachableError
from glustercheck.remote import HostKeyChecking, fingerprint
from glustercheck.remote.hostkeys import verify_host_key
from glustercheck.remote.known_hosts import hashed_name, keys_for
from glustercheck.remote.targets import ResolvedTarget


def ed25519(seed: bytes) -> paramiko.PKey:
    msg = paramiko.Message()
    msg.add_string("ssh-ed25519")
    msg.add_string(seed * 32)
    return paramiko.Ed25519Key(data=msg.asbytes())


KEY, OTHER = ed25519(b"\x01"), ed25519(b"\x02")


def line(names: str, key: paramiko.PKey = KEY, marker: str = "") -> str:
    return f"{marker}{names} {key.get_name()} {key.get_base64()}\n"


def target(known: Path, checking: HostKeyChecking = HostKeyChecking.YES, port: int = 22,
           alias: str | None = None) -> ResolvedTarget:
    return ResolvedTarget(name="rpi2", hostname="10.0.1.2", user="pi", port=port, known_hosts=(known,),
                          host_key_checking=checking, host_key_alias=alias)


@pytest.mark.parametrize(("names", "host", "found"), [
    ("10.0.1.2", "10.0.1.2", True),
    ("rpi1,10.0.1.2", "10.0.1.2", True),
    ("10.0.1.*", "10.0.1.2", True),
    ("10.0.1.?", "10.0.1.22", False),
    ("10.0.1.*,!10.0.1.2", "10.0.1.2", False),
    ("RPI2", "rpi2", True),
    ("[10.0.1.2]:2222", "[10.0.1.2]:2222", True),
    ("10.0.1.2", "[10.0.1.2]:2222", False),
])
def test_known_hosts_name_patterns(names: str, host: str, found: bool, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("# comment\n\n" + line(names))
    assert bool(keys_for(host, [known])) is found


def test_hashed_names_and_odd_lines(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("garbage\n" + "rpi2 ssh-ed25519 !!notbase64!!\n" + line(hashed_name("rpi2"))
                     + line("rpi2", marker="@cert-authority "))
    (entry,) = keys_for("rpi2", [known, tmp_path / "missing"])
    assert (entry.line, entry.blob, entry.revoked) == (3, KEY.asbytes(), False)


def test_known_key_passes_and_changed_key_is_refused(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(line("10.0.1.2"))
    verify_host_key(target(known), KEY)
    for checking in (HostKeyChecking.YES, HostKeyChecking.ACCEPT_NEW):
        with pytest.raises(UnreachableError) as caught:
            verify_host_key(target(known, checking), OTHER)
        message = str(caught.value)
        assert message.startswith("rpi2 (10.0.1.2:22) unreachable: host key MISMATCH: the node offered "
                                  f"ssh-ed25519 {fingerprint(OTHER)}, but {known} line 1 has ssh-ed25519 "
                                  f"{fingerprint(KEY)} for 10.0.1.2")
        assert message.endswith(f"ssh-keygen -R '10.0.1.2' -f {known}")
    verify_host_key(target(known, HostKeyChecking.NO), OTHER)  # only when told


def test_revoked_key_is_refused_even_if_also_listed(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(line("10.0.1.2") + line("*", marker="@revoked "))
    with pytest.raises(UnreachableError, match=rf"is marked @revoked in {known} line 2"):
        verify_host_key(target(known), KEY)


def test_unknown_key_strict_and_accept_new(tmp_path: Path) -> None:
    known = tmp_path / "sub" / "known_hosts"
    with pytest.raises(UnreachableError, match=r"unknown host key ssh-ed25519 .*\(missing\)"):
        verify_host_key(target(known, port=2222), KEY)
    assert not known.exists()
    verify_host_key(target(known, HostKeyChecking.ACCEPT_NEW, port=2222), KEY)
    assert known.read_text() == f"[10.0.1.2]:2222 ssh-ed25519 {base64.b64encode(KEY.asbytes()).decode()}\n"
    assert known.stat().st_mode & 0o777 == 0o600
    verify_host_key(target(known, port=2222), KEY)  # strict now passes: it is known


def test_accept_new_hashes_the_name_when_told(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    hashed = ResolvedTarget(name="rpi2", hostname="10.0.1.2", user="pi", port=22, known_hosts=(known,),
                            host_key_checking=HostKeyChecking.ACCEPT_NEW, hash_known_hosts=True)
    verify_host_key(hashed, KEY)
    assert known.read_text().startswith("|1|")
    assert "10.0.1.2" not in known.read_text()
    assert [k.blob for k in keys_for("10.0.1.2", [known])] == [KEY.asbytes()]


def test_host_key_alias_is_the_lookup_name(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(line("cluster-key"))
    verify_host_key(target(known, port=2222, alias="cluster-key"), KEY)
    with pytest.raises(UnreachableError, match=r"MISMATCH.* for cluster-key"):
        verify_host_key(target(known, alias="cluster-key"), OTHER)
