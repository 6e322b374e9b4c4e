"""sudo without ceremony: who needs it, how it is called, and why it failed (per node, once).

sudo 1.9 with `-n` answers "a password is required" both when the user's rule asks for a
password and when the user has no rule at all (it would ask first, then refuse). A second,
harmless look (`sudo -n -l` and the user's groups, DIAGNOSE) tells what is likely.
"""

from __future__ import annotations

import re
from enum import Enum

from .quoting import quote

_PASSWORD = re.compile(r"^sudo: (a password is required|a terminal is required)", re.M)
_NO_SUDO = re.compile(r"\bsudo: (command )?not found\b")
_NOT_ALLOWED = re.compile(r"is not in the sudoers file|is not allowed to (run|execute)|may not run")
_UNKNOWN_USER = re.compile(r"^sudo: unknown user", re.M)
_RULE = re.compile(r"^\s+\(.*\)\s.*$", re.M)  # a `sudo -l` rule line: "    (ALL) NOPASSWD: /usr/bin/id"
# Groups that Debian, Raspberry Pi OS, Fedora and macOS give sudo rights by default.
SUDO_GROUPS = ("sudo", "wheel", "admin")

# Run as the login user, without sudo, after sudo asked for a password.
DIAGNOSE = "LC_ALL=C sudo -n -l 2>&1; echo \"sudo-l-rc=$?\"; id -Gn"


class SudoFailure(Enum):
    PASSWORD = "password"
    NOT_ALLOWED = "not allowed"
    NOT_INSTALLED = "not installed"
    UNKNOWN_USER = "unknown user"


def sudo_target(login_user: str, wanted: bool, sudo_user: str | None) -> str | None:
    """The user to sudo to, or None when no sudo is needed (not wanted, or already that user)."""
    if not wanted:
        return None
    as_user = sudo_user or "root"
    return None if login_user == as_user else as_user


def classify(rc: int, stderr: str) -> SudoFailure | None:
    """Whether sudo itself (not the command under it) failed, and how."""
    if rc == 0:
        return None
    if rc == 1 and _UNKNOWN_USER.search(stderr):
        return SudoFailure.UNKNOWN_USER
    if _PASSWORD.search(stderr):
        return SudoFailure.PASSWORD
    if rc == 127 and _NO_SUDO.search(stderr):
        return SudoFailure.NOT_INSTALLED
    if rc == 1 and _NOT_ALLOWED.search(stderr):
        return SudoFailure.NOT_ALLOWED
    return None


def sudo_problem(rc: int, stderr: str, *, host: str, user: str, as_user: str = "root") -> str | None:
    """Why sudo itself failed, in one sentence with the fix, or None if it did not."""
    kind = classify(rc, stderr)
    return None if kind is None else describe(kind, None, host=host, user=user, as_user=as_user)


def nopasswd_fix(user: str, as_user: str = "root") -> str:
    rule = f"{user} ALL=({'ALL' if as_user == 'root' else as_user}) NOPASSWD: ALL"
    return (f"as root on the node: echo {quote(rule)} > /etc/sudoers.d/010_{user}-nopasswd "
            "(Raspberry Pi OS does this for its first user)")


def describe(kind: SudoFailure, diagnosis: str | None, *, host: str, user: str, as_user: str = "root") -> str:
    """The operator's message for `kind`, sharpened by DIAGNOSE's output when there is one."""
    return explain_sudo(kind, diagnosis, host=host, user=user, as_user=as_user)[0]


def explain_sudo(kind: SudoFailure, diagnosis: str | None, *, host: str, user: str,
            as_user: str = "root") -> tuple[str, str]:
    """(message, fix): the message includes the fix; the fix alone is what a report shows."""
    if kind is SudoFailure.UNKNOWN_USER:
        fix = f"fix the sudo user ({as_user} does not exist on {host})"
        return f"sudo on {host}: there is no user {as_user} to run commands as - {fix}", fix
    if kind is SudoFailure.NOT_INSTALLED:
        fix = f"on {host}, as root: apt install sudo; or log in as root"
        return f"sudo is not installed on {host}: install it (apt install sudo), or log in as root", fix
    nopasswd = nopasswd_fix(user, as_user)
    if kind is SudoFailure.NOT_ALLOWED:
        return (f"user {user} may not use sudo on {host} (not in the sudoers file, or not allowed to "
                f"run commands as {as_user}): give it passwordless sudo, {nopasswd}; or log in as root",
                f"give {user} passwordless sudo, {nopasswd}; or log in as root")
    if diagnosis is not None:
        return _password_diagnosed(diagnosis, host=host, user=user, as_user=as_user)
    return (f"sudo on {host} needs a password: give user {user} passwordless sudo "
            f"(a NOPASSWD line in /etc/sudoers.d/), or log in as root",
            f"give user {user} passwordless sudo on {host}, {nopasswd}; or log in as root")


def _password_diagnosed(diagnosis: str, *, host: str, user: str, as_user: str) -> tuple[str, str]:
    listing, _, tail = diagnosis.partition("sudo-l-rc=")
    status, _, groups_line = tail.partition("\n")
    groups = groups_line.split()
    fix = nopasswd_fix(user, as_user)
    if status.strip() == "0":
        # sudo -l needs no password when some rule has NOPASSWD: the user has rules, not ours.
        rules = "; ".join(r.strip() for r in _RULE.findall(listing)) or "see sudo -l"
        return (f"sudo on {host} needs a password: user {user} may not run commands as {as_user} "
                f"without one (its sudo rules: {rules}); fix: {fix}", fix)
    in_group = [g for g in SUDO_GROUPS if g in groups]
    if in_group:
        return (f"sudo on {host} needs a password: user {user} is in group {in_group[0]}, whose sudo "
                f"rule asks for one, and this tool cannot type it; fix: {fix}; or log in as root",
                f"{fix}; or log in as root")
    # sudo -n says "a password is required" whether or not a rule exists: say what is likely.
    return (f"user {user} may not use sudo on {host} without a password: most likely it is not in the "
            f"sudoers file at all (it is in none of the groups {', '.join(SUDO_GROUPS)}; `sudo -n` "
            f"only says a password is required either way); fix: {fix}; or log in as a user with "
            "passwordless sudo, or as root",
            f"{fix}; or log in as a user with passwordless sudo, or as root")
