"""Pure library behind the GlusterFS verification suite.

Nothing in this package imports pytest: the inventory, the gluster output parsers, the layout
validator and the remote command runner are usable from command-line tools and benchmarks too.
"""
