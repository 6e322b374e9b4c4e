"""The one error type of the ssh_config reader."""

from glustercheck.errors import UnreachableError


class SshConfigError(UnreachableError):
    """An ssh_config file that cannot be used: names the file, the line and the problem.

    An UnreachableError, because it stops every connection that reads this file.
    """
