"""The one table of gluster-version rules: boundaries, and what differs between two releases."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from glustercheck.versions import (
    CHANGES,
    DISTRIBUTED_MISLABEL,
    LATE_MULTIPLE_FAILURE,
    PROBE_BACK_PRIMARY_NAME,
    STRIPE_KEYWORD_REMOVED,
    STRIPE_UNSUPPORTED,
    VOLUME_NAME_251,
    changes_between,
    parse_version,
)

LIBRARY = Path(__file__).resolve().parents[2] / "glustercheck"


@pytest.mark.parametrize(("change", "inside", "outside"), [
    (STRIPE_UNSUPPORTED, [(6, 0), (9, 6)], [(5, 13), (10, 0)]),
    (STRIPE_KEYWORD_REMOVED, [(10, 0), (11, 1)], [(9, 6), (3, 7)]),
    (VOLUME_NAME_251, [(5, 0), (9, 9)], [(4, 1), (10, 0)]),
    (LATE_MULTIPLE_FAILURE, [(10, 0), (10, 3), (11, 1)], [(9, 6)]),
    (DISTRIBUTED_MISLABEL, [(11, 0)], [(10, 3), (11, 1)]),
    (PROBE_BACK_PRIMARY_NAME, [(11, 0), (11, 1)], [(10, 3)]),
])
def test_each_change_holds_exactly_in_its_releases(change, inside, outside) -> None:  # type: ignore[no-untyped-def]
    assert all(change.applies(v) for v in inside)
    assert not any(change.applies(v) for v in outside)


def test_what_differs_between_10_3_and_11_1() -> None:
    names = {c.name for c in changes_between((10, 3), (11, 1))}
    assert names == {"disperse-data-max-16", "probe-back-primary-name"}
    assert changes_between((10, 3), (10, 3)) == []


def test_every_change_says_what_and_when() -> None:
    assert len({c.name for c in CHANGES}) == len(CHANGES)
    for change in CHANGES:
        assert change.what
        assert change.until is None or change.since < change.until


def test_parse_version_names_bad_text() -> None:
    assert parse_version("3.7.20") == (3, 7)
    with pytest.raises(ValueError, match=r"not a gluster version: 'x\.y'"):
        parse_version("x.y")


def test_no_inline_version_comparisons_outside_the_table() -> None:
    """Rules live in versions.py: no `version >= (x, y)` anywhere else in the library."""
    found = []
    for path in LIBRARY.rglob("*.py"):
        if path.name == "versions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and any(
                    isinstance(c, ast.Tuple) and len(c.elts) == 2
                    and all(isinstance(e, ast.Constant) and isinstance(e.value, int) for e in c.elts)
                    for c in [node.left, *node.comparators]):
                found.append(f"{path.relative_to(LIBRARY)}:{node.lineno}")
    assert found == []
