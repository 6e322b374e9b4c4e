"""Root conftest: wires the suite into pytest. `pytest --hosts=rpi0..rpi3` collects checks/ only
(see testpaths in pyproject.toml); the project's own tests live in tests/."""

pytest_plugins = ["pytest_glustercheck.plugin", "setup_steps.fixtures", "pytest_glustercheck.report_plugin"]
