"""The checks `pytest --hosts=...` runs (installed as `glustercheck_checks`)."""
