"""Ordered, idempotent setup steps that converge bare nodes to the declared cluster.

1 hosts file -> 2 package -> 3 daemon -> 4 peers (probe, then probe back by name) -> 5 volumes
(validated first, never forced unless the spec says so) -> 6 started with every brick online.
Check-only (the default) inspects and records what is missing; `--apply` changes what differs.
Nothing is ever detached, deleted, wiped or forced on the operator's behalf.
"""
