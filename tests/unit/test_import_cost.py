"""What loading the plugin costs other test suites, and what a run that only collects loads: the
plugin module alone pulls in none of the library, and nothing before a node is contacted pulls in
paramiko (~0.2 s with its crypto) or the report renderers (prometheus_client, nagiosplugin).
Module sets, not timings: the benchmark (bench/bench_suite.py) measures the time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("paramiko", "cryptography", "prometheus_client", "nagiosplugin", "glustercheck.report.html")


def _loaded_after(code: str, cwd: Path) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd,
                            timeout=120, check=True)
    return set(result.stdout.split())


def test_importing_the_plugin_loads_none_of_the_library(tmp_path: Path) -> None:
    loaded = _loaded_after("import pytest, pytest_glustercheck.plugin", tmp_path)
    assert "pytest_glustercheck.plugin" in loaded
    library = {m for m in loaded if m.startswith(("glustercheck.", "pytest_glustercheck.fixtures"))}
    assert library <= {"glustercheck.errors", "glustercheck.hostrange"}, library


def test_collecting_the_checks_connects_nothing_and_renders_nothing(tmp_path: Path) -> None:
    loaded = _loaded_after(
        "import pytest\n"
        "code = pytest.main(['-q', '-p', 'no:cacheprovider', '--hosts=rpi0..rpi3', '--collect-only'])\n"
        "assert code == 0, code", tmp_path)
    assert "glustercheck_checks.test_daemon" in loaded or "checks.test_daemon" in loaded
    assert not {m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY}


def test_a_run_loads_paramiko_without_invoke_and_leaves_invoke_loadable(tmp_path: Path) -> None:
    """invoke serves only paramiko's own ssh_config `Match exec`, which this library refuses."""
    loaded = _loaded_after(
        "from pathlib import Path\n"
        "from glustercheck.run import GlusterRun, connect_options\n"
        "from glustercheck.spec import load_spec\n"
        "Path('c.toml').write_text('[[nodes]]\\nname = \"rpi0\"\\n[[volumes]]\\nname = \"gv\"\\n')\n"
        "spec = load_spec(Path('c.toml'))\n"
        "GlusterRun(spec, connect_options(spec), Path('lock')).pool\n"
        "import sys\n"
        "assert 'invoke' not in sys.modules\n"
        "import paramiko.config\n"
        "assert paramiko.config.invoke is None\n"
        "import invoke  # still there for whoever wants it", tmp_path)
    assert {"paramiko", "invoke"} <= loaded


def test_collecting_loads_no_setup_action_and_no_file_lock(tmp_path: Path) -> None:
    """The checks, the plugin and the report name only SetupReport of the setup actions: the
    planners, the executor and its waits, and filelock (xdist's shared outputs) wait for a run
    that checks."""
    loaded = _loaded_after(
        "import pytest\n"
        "code = pytest.main(['-q', '-p', 'no:cacheprovider', '--hosts=rpi0..rpi3', '--collect-only'])\n"
        "assert code == 0, code", tmp_path)
    assert "glustercheck.actions.record" in loaded
    unwanted = {"glustercheck.actions.executor", "glustercheck.actions.model",
                "glustercheck_setup_steps", "filelock"}
    assert not unwanted & loaded, unwanted & loaded


def test_every_public_name_of_a_lazy_package_resolves() -> None:
    import glustercheck.actions
    import glustercheck.remote

    for package in (glustercheck.actions, glustercheck.remote):
        missing = [name for name in package.__all__ if getattr(package, name, None) is None]
        assert not missing, (package.__name__, missing)
