"""Root conftest of the checkout. The suite itself is the installed pytest plugin (entry point
`pytest11: glustercheck` -> pytest_glustercheck.plugin), so nothing is wired here: from a clone,
`pip install -e .` registers it, and `pytest --hosts=rpi0..rpi3` collects checks/ (testpaths)."""
