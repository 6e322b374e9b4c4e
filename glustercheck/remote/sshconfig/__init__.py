"""An OpenSSH client-config reader with OpenSSH's own semantics (checked against `ssh -G`).

Why not paramiko.SSHConfig: it does not follow `Include`, runs `Match exec` commands, and differs
in places (Match host before HostName, token sets). This reader follows readconf.c: first obtained
value wins; `Host` patterns (`*`, `?`, `!`) case-sensitive against the name as given; `Match all,
canonical, final, host, originalhost, user, localuser` (`exec` is refused, with the line named);
`Include` with globs, relative to ~/.ssh (user config) or /etc/ssh, at most 16 levels deep.

    config = SshConfig.load(None, home=Path.home(), local_user="me")   # ~/.ssh/config + /etc/ssh/ssh_config
    config.lookup("rpi2").hostname
"""

from .errors import SshConfigError
from .lookup import SYSTEM_CONFIG, HostConfig, SshConfig
from .values import HostKeyChecking

__all__ = ["SYSTEM_CONFIG", "HostConfig", "HostKeyChecking", "SshConfig", "SshConfigError"]
