"""The pytest layer: options, `--hosts` ranges, per-node parametrisation, fixtures and report data.

Thin on purpose: everything it does is delegated to the `glustercheck` library.
"""
