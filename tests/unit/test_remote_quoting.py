"""Quoting: whatever a node, path or volume name contains, it reaches the command as one word."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glustercheck.remote import format_command, quote
from glustercheck.remote.quoting import to_shell, wrap_command

HOSTILE = [
    "plain",
    "",
    "with space",
    "it's",
    'say "hi"',
    "$(touch /tmp/pwned)",
    "`id`",
    "a;b&&c||d|e",
    "line\nbreak",
    "tab\there",
    "glob*?[a]",
    "~root",
    "-n",
    "--",
    "dollar$HOME",
    "back\\slash",
    "ünïcødé ✓ 卷",
    "#comment",
    "!bang",
]

# Anything a shell argument can hold: every character but NUL, surrogates excluded.
ARG = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))


def shell_words(line: str) -> list[str]:
    """What a real `sh -c` passes to a program: printf prints each argument NUL-terminated."""
    out = subprocess.run(["sh", "-c", f"printf '%s\\0' {line}"], capture_output=True, check=True).stdout
    return out.decode("utf-8", errors="surrogateescape").split("\0")[:-1]


@pytest.mark.parametrize("arg", HOSTILE)
def test_quote_round_trips_through_sh(arg: str) -> None:
    assert shell_words(quote(arg)) == [arg]


@settings(max_examples=150)
@given(st.lists(ARG, min_size=1, max_size=5))
def test_format_command_round_trips_hostile_arguments(args: list[str]) -> None:
    template = " ".join(["{}"] * len(args))
    assert shell_words(format_command(template, *args)) == args


@settings(max_examples=75)
@given(st.lists(ARG, min_size=1, max_size=4))
def test_sequence_survives_the_remote_wrapper(args: list[str]) -> None:
    """The full line a node's login shell gets (`timeout ... sh -c QUOTED`) keeps every word."""
    inner = to_shell(["printf", "%s\\0", *args])
    line = wrap_command(inner, timeout=10, sudo=False)
    out = subprocess.run(["sh", "-c", line], capture_output=True, check=True).stdout
    assert out.decode("utf-8", errors="surrogateescape").split("\0")[:-1] == args


def test_format_command_quotes_every_argument() -> None:
    assert format_command("ls -l {} {}", "/bricks/gv 1", "$(x)") == "ls -l '/bricks/gv 1' '$(x)'"


def test_format_command_counts_placeholders() -> None:
    with pytest.raises(ValueError, match="2 placeholders but 1"):
        format_command("cp {} {}", "a")


def test_quote_accepts_paths_and_numbers() -> None:
    from pathlib import Path

    assert quote(Path("/a b")) == "'/a b'"
    assert quote(24007) == "24007"


def test_string_command_is_passed_as_is() -> None:
    assert to_shell("echo $HOME | wc -c") == "echo $HOME | wc -c"


def test_empty_sequence_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        to_shell([])


def test_wrapper_puts_sudo_outside_the_killer() -> None:
    line = wrap_command("gluster peer status", timeout=30, sudo=True)
    assert line == "sudo -n -- timeout --signal=KILL 30.000 sh -c 'gluster peer status'"


def test_wrapper_sudo_user_is_one_quoted_word() -> None:
    line = wrap_command("id -un", timeout=5, sudo=True, sudo_user="gluster admin")
    assert line == "sudo -n -u 'gluster admin' -- timeout --signal=KILL 5.000 sh -c 'id -un'"
    # root is sudo's default: no -u for it.
    assert wrap_command("id", timeout=5, sudo=True, sudo_user="root").startswith("sudo -n -- ")


@pytest.mark.parametrize("bad", [0, -1])
def test_wrapper_refuses_non_positive_timeouts(bad: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        wrap_command("true", timeout=bad, sudo=False)


def test_tiny_timeout_never_becomes_zero() -> None:
    assert "timeout --signal=KILL 0.001 " in wrap_command("true", timeout=1e-9, sudo=False)
