"""What a node image is made of (pure): the Debian packages, the first-boot customisation, and the
recipe hash that names the cached image, so a changed recipe means a new image.

Two variants per suite. `full` has glusterfs-server installed (not enabled, as on a Pi right after
`apt install`: Debian's package does not enable glusterd). `fresh` is a Pi after first boot, without
gluster; its .debs come from the full image's build (kept as the local package repository), so the
fresh image builds offline and its nodes `apt-get install glusterfs-server` from that repository.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

# Bump when the build code changes what ends up in an image (not only the package list).
IMAGE_BUILD_VERSION = 1

# A Raspberry Pi OS Lite-like minimal system: what the suite runs on nodes (getent, ping, pgrep,
# getfattr, df, sudo, bash's /dev/tcp, apt-get) and what the simulated cluster needs (sshd, ip,
# mount). apt is named although minbase has it: a fresh image is built from the local repository,
# whose priorities come from the .debs, where apt is "important", not "required" as in Debian's
# archive; without it the bookworm fresh image had no apt-get.
BASE_PACKAGES = ("apt", "openssh-server", "sudo", "iproute2", "iputils-ping", "procps", "psmisc",
                 "attr", "mount", "python3-minimal")
GLUSTER_PACKAGES = ("glusterfs-server", "glusterfs-client", "fuse3")
USB_MOUNT_POINT = "/mnt/usb"


@dataclass(frozen=True)
class ImageRecipe:
    suite: str
    variant: str = "full"
    user: str = "pi"
    uid: int = 1000

    @property
    def packages(self) -> tuple[str, ...]:
        return BASE_PACKAGES + (GLUSTER_PACKAGES if self.variant == "full" else ())

    @property
    def source_recipe(self) -> ImageRecipe | None:
        """The full image whose package cache a fresh image is built from (None for full)."""
        return None if self.variant == "full" else ImageRecipe(self.suite, "full", self.user, self.uid)

    def customize_script(self) -> str:
        """Shell run in the built tree (chroot) once: what makes it a Pi after first boot."""
        u = self.user
        return f"""set -e
# The first user, as the Raspberry Pi imager creates it: passwordless sudo, key-only SSH.
useradd --uid {self.uid} --create-home --shell /bin/bash --groups sudo --comment ,,, {u}
# '*' (no password, not locked): sshd without PAM refuses key logins to locked ('!') accounts.
usermod --password '*' {u}
usermod --password '*' root
printf '%s ALL=(ALL) NOPASSWD: ALL\\n' {u} > /etc/sudoers.d/010_pi-nopasswd
chmod 0440 /etc/sudoers.d/010_pi-nopasswd
# Per node at `simcluster up`: host keys, hostname, hosts, fstab, sshd_config, apt sources.
rm -f /etc/ssh/ssh_host_* /etc/hostname /etc/apt/sources.list /etc/apt/sources.list.d/*
: > /etc/resolv.conf
# glusterd starts at boot only once enabled (the suite's job), and with a UUID of its own.
rm -f /etc/systemd/system/multi-user.target.wants/glusterd.service /var/lib/glusterd/glusterd.info
mkdir -p {USB_MOUNT_POINT}
"""

    @property
    def digest(self) -> str:
        """16 hex digits over everything that decides the image's content."""
        source = self.source_recipe
        recipe = {"version": IMAGE_BUILD_VERSION, "suite": self.suite, "variant": self.variant,
                  "packages": sorted(self.packages), "customize": self.customize_script(),
                  "source": source.digest if source else None}
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        return f"{self.suite}-{self.variant}-{self.digest}"

    @property
    def repo_name(self) -> str:
        """The local package repository kept from the full image's build, per suite."""
        full = self.source_recipe or self
        return f"{self.suite}-{full.digest}"
