"""Node images: root filesystems built once from Debian's packages with mmdebstrap, cached under
DEFAULT_CACHE_DIR/images/<suite>-<variant>-<recipe hash>/rootfs, rebuilt when the recipe changes.

Measured on a 2-core CI machine: a full image (glusterfs-server) builds in ~25 s from Debian's
mirror (bookworm 351 MB, trixie 323 MB); a fresh image builds offline from the full image's kept
.debs in ~14 s. Nodes never write to an image: each boots from its own overlay over it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from simcluster.recipes import ImageRecipe

DEBIAN_MIRROR = os.environ.get("SIMCLUSTER_DEBIAN_MIRROR", "http://deb.debian.org/debian")
BUILD_TIMEOUT = 1200.0
Progress = Callable[[str], None]
_NETWORK_TROUBLE = re.compile(r"Could not resolve|Temporary failure resolving|Failed to fetch|"
                              r"Could not connect|Connection (?:failed|refused|timed out)|"
                              r"Unable to connect|Network is unreachable")


class ImageBuildError(RuntimeError):
    """The image could not be built; the message says why and what to do."""


def image_root(cache_dir: Path, recipe: ImageRecipe) -> Path:
    return cache_dir / "images" / recipe.name / "rootfs"


def repo_dir(cache_dir: Path, recipe: ImageRecipe) -> Path:
    return cache_dir / "repos" / recipe.repo_name


def ensure_image(recipe: ImageRecipe, cache_dir: Path, progress: Progress,
                 mirror: str = DEBIAN_MIRROR) -> Path:
    """The image's root filesystem, built first if it is not cached (a fresh image needs the full
    image of its suite first: its packages come from that build)."""
    rootfs = image_root(cache_dir, recipe)
    if (rootfs.parent / "image.json").exists():
        return rootfs
    if recipe.source_recipe is not None:
        ensure_image(recipe.source_recipe, cache_dir, progress, mirror)
    with _build_lock(cache_dir):
        if not (rootfs.parent / "image.json").exists():  # another process may have just built it
            _build(recipe, cache_dir, progress, mirror)
    return rootfs


def image_info(cache_dir: Path, recipe: ImageRecipe) -> dict[str, object]:
    """What image.json recorded at build time: seconds, size, glusterfs version, date."""
    info: dict[str, object] = json.loads((image_root(cache_dir, recipe).parent / "image.json").read_text())
    return info


@contextmanager
def _build_lock(cache_dir: Path) -> Iterator[None]:
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def check_mirror(mirror: str, suite: str, timeout: float = 15.0) -> None:
    """Raise ImageBuildError, naming the mirror and what to do, if its index cannot be fetched."""
    url = f"{mirror.rstrip('/')}/dists/{suite}/InRelease"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return
    except (urllib.error.URLError, OSError) as exc:
        raise ImageBuildError(_unreachable(mirror, suite, f"{url}: {getattr(exc, 'reason', exc)}")) \
            from None


def _unreachable(mirror: str, suite: str, detail: str) -> str:
    return (f"cannot build the {suite} node image: Debian's package mirror {mirror} cannot be "
            f"reached from this machine ({detail}). The image is built once from Debian's "
            "packages, then cached. Make that mirror reachable (network, or the http_proxy "
            "variable), or set SIMCLUSTER_DEBIAN_MIRROR to a Debian mirror that is, then run "
            "`simcluster up` again.")


def _build(recipe: ImageRecipe, cache_dir: Path, progress: Progress, mirror: str) -> None:
    started = time.monotonic()
    say = _timed(progress, recipe, started)
    final = image_root(cache_dir, recipe).parent
    partial = final.with_name(final.name + ".partial")
    _remove_tree(partial)
    partial.mkdir(parents=True)
    repo = repo_dir(cache_dir, recipe)
    if recipe.variant == "full":
        say(f"building from {mirror}: {', '.join(recipe.packages)} (once; cached in {final})")
        check_mirror(mirror, recipe.suite)
        source = mirror
        repo_partial = repo.with_name(repo.name + ".partial")
        _remove_tree(repo_partial)
        repo_partial.mkdir(parents=True)
        # Keep every .deb (also the essential ones) as the suite's local package repository.
        hooks = ["--skip=essential/unlink",
                 f"--customize-hook=sync-out /var/cache/apt/archives {repo_partial}"]
    else:
        say(f"building offline from the local repository {repo} (once; cached in {final})")
        source, hooks = f"deb [trusted=yes] copy://{repo} ./", []
    command = ["mmdebstrap", "--mode=root", "--variant=minbase", "--format=directory", "--verbose",
               f"--include={','.join(recipe.packages)}", *hooks, recipe.suite,
               str(partial / "rootfs"), source]
    _run_mmdebstrap(command, say, recipe, mirror)
    say("making it a Pi after first boot (user pi, sudo, no host keys, glusterd not enabled)")
    subprocess.run(["chroot", str(partial / "rootfs"), "/bin/sh", "-e"], check=True, timeout=120,
                   input=recipe.customize_script(), text=True, capture_output=True)
    if recipe.variant == "full":
        _index_repository(repo_partial, recipe.suite)
        shutil.rmtree(repo, ignore_errors=True)
        repo_partial.rename(repo)
        say(f"local package repository: {repo} ({_megabytes(repo)} MB)")
    info = {"recipe": recipe.name, "suite": recipe.suite, "variant": recipe.variant,
            "packages": list(recipe.packages),
            "glusterfs": installed_version(partial / "rootfs", "glusterfs-server"),
            "seconds": round(time.monotonic() - started, 1),
            "megabytes": _megabytes(partial / "rootfs"), "built": time.strftime("%Y-%m-%d %H:%M:%S")}
    (partial / "image.json").write_text(json.dumps(info, indent=2) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    _prune_older(cache_dir, recipe)
    say(f"done: {info['megabytes']} MB, glusterfs-server {info['glusterfs'] or 'not installed'}")


def _remove_tree(path: Path) -> None:
    """rm -rf a build directory, first unmounting what an interrupted mmdebstrap may have left
    mounted inside it (its chroot's /proc, /sys, /dev): rm -rf must never reach the host's /dev."""
    prefix = str(path) + "/"
    mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    for target in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "-l", target], check=False, timeout=30)
    mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    if any(m.startswith(prefix) for m in mounts):
        raise ImageBuildError(f"{path} still has mounts inside it; unmount them, then retry")
    shutil.rmtree(path, ignore_errors=True)


def _timed(progress: Progress, recipe: ImageRecipe, started: float) -> Progress:
    def say(text: str) -> None:
        progress(f"image {recipe.suite}-{recipe.variant} [{time.monotonic() - started:5.1f} s] {text}")
    return say


def _run_mmdebstrap(command: list[str], say: Progress, recipe: ImageRecipe, mirror: str) -> None:
    """Run mmdebstrap, passing on its stage lines and a download count every few seconds."""
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, errors="replace")
    except FileNotFoundError:
        raise ImageBuildError("mmdebstrap is not installed: it builds the node images from Debian's "
                              "packages. Install it (Debian package mmdebstrap; bin/bootstrap does)") \
            from None
    tail: list[str] = []
    downloads, last_said = 0, 0.0
    assert proc.stdout is not None
    deadline = time.monotonic() + BUILD_TIMEOUT
    for raw in proc.stdout:
        line = raw.rstrip()
        if tail and line == tail[-1]:
            continue  # apt prints its "Fetched" summary twice
        tail = [*tail[-40:], line]
        fields = line.split()
        if line.startswith("Get:") and len(fields) >= 8:  # Get:N URL SUITE/COMP ARCH PKG ARCH VERSION
            downloads += 1
            if time.monotonic() - last_said > 3:
                say(f"downloading packages: {downloads} so far (now {fields[4]} {fields[6]})")
                last_said = time.monotonic()
        elif line.startswith(("I: ", "W: ", "E: ", "Fetched ")):
            say(line)
        if time.monotonic() > deadline:
            proc.kill()
    if proc.wait() != 0:
        text = "\n".join(tail)
        if trouble := _NETWORK_TROUBLE.search(text):
            raise ImageBuildError(_unreachable(mirror, recipe.suite, trouble.group(0)))
        raise ImageBuildError(f"mmdebstrap failed building the {recipe.name} image "
                              f"(rc={proc.returncode}); its last lines:\n{text}")


def _index_repository(repo: Path, suite: str) -> None:
    """Packages and Release for a flat repository (`deb [trusted=yes] URL ./`). The Release file's
    Suite lets mmdebstrap find the essential packages when it builds a fresh image from it."""
    for leftover in ("lock", "partial"):
        path = repo / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    packages = subprocess.run(["apt-ftparchive", "packages", "."], cwd=repo, check=True,
                              capture_output=True, text=True, timeout=300).stdout
    (repo / "Packages").write_text(packages)
    fields = [f"-oAPT::FTPArchive::Release::{k}={v}" for k, v in
              (("Suite", suite), ("Codename", suite), ("Origin", "Debian"), ("Label", "Debian"))]
    release = subprocess.run(["apt-ftparchive", *fields, "release", "."], cwd=repo, check=True,
                             capture_output=True, text=True, timeout=60).stdout
    (repo / "Release").write_text(release)


def installed_version(rootfs: Path, package: str) -> str | None:
    status = (rootfs / "var/lib/dpkg/status").read_text(errors="replace")
    for stanza in status.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line
                      and not line.startswith(" "))
        if fields.get("Package") == package and fields.get("Status", "").endswith(" installed"):
            return fields.get("Version")
    return None


def _megabytes(path: Path) -> int:
    out = subprocess.run(["du", "-sxm", str(path)], capture_output=True, text=True, timeout=120,
                         check=False).stdout
    return int(out.split()[0]) if out else 0


def _prune_older(cache_dir: Path, recipe: ImageRecipe) -> None:
    """Drop images (and, with a full image, repositories) of older recipes of this suite/variant.
    Safe: images are only built by `up`, which refuses while a cluster (that could use them) runs."""
    for old in (cache_dir / "images").glob(f"{recipe.suite}-{recipe.variant}-*"):
        if old.name != recipe.name and not old.name.endswith(".partial"):
            shutil.rmtree(old, ignore_errors=True)
    if recipe.variant == "full":
        for old in (cache_dir / "repos").glob(f"{recipe.suite}-*"):
            if old.name != recipe.repo_name and not old.name.endswith(".partial"):
                shutil.rmtree(old, ignore_errors=True)
