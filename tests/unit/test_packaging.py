"""The distribution lists every code package (it names them one by one: checks/ and setup_steps/
are mapped under other names with package-dir) and every data-only package, and declares the
pytest11 entry point."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAPPED = {"glustercheck_checks": "checks", "glustercheck_setup_steps": "setup_steps"}


def test_every_package_with_an_init_is_shipped() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = set(config["packages"])
    assert config["package-dir"] == MAPPED
    on_disk = set()
    for top in ("glustercheck", "pytest_glustercheck", "simcluster"):
        for init in (ROOT / top).rglob("__init__.py"):
            on_disk.add(".".join(init.parent.relative_to(ROOT).parts))
    # A folder of data files only (the deploy units) is a package of its own, with its data.
    data_only = {name for name in config["package-data"]
                 if not (ROOT / name.replace(".", "/") / "__init__.py").exists()}
    for name in data_only:
        assert any((ROOT / name.replace(".", "/")).iterdir()), name
    assert on_disk | set(MAPPED) | data_only == shipped
    for name, folder in MAPPED.items():
        assert (ROOT / folder / "__init__.py").exists(), name


def test_the_plugin_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"glustercheck": "pytest_glustercheck.plugin"}
    assert project["scripts"]["glustercheck-nightly"] == "pytest_glustercheck.nightly:main"
