"""glusterd's limits on what a `volume create` names: the reserved volume names of the CLI, and
the length limits glusterd checks after the CLI has accepted the line (so the CLI's own rules in
layout/parse.py and layout/options.py do not show them). No imports: every layer may use it.

Read from the glusterfs sources at v10.3 and v11.1 (the functions are identical in both):

- `glusterd_brickinfo_new_from_brick` (xlators/mgmt/glusterd/src/glusterd-utils.c) copies the brick
  host into `char hostname[NAME_MAX]` and the canonical path into
  `char path[VALID_GLUSTERD_PATHMAX]` (glusterd.h: PATH_MAX - (256 + 64)) and fails when either
  does not fit;
- `glusterd_store_is_valid_brickpath` (glusterd-store.c) fails on that, on a volume name that does
  not fit `volname[GD_VOLUME_NAME_MAX]` (protocol-common.h: NAME_MAX + 1), and on a path component
  of _POSIX_PATH_MAX (256) characters or more; staging (`glusterd_op_stage_create_volume`,
  glusterd-volume-ops.c) then answers "brick path %s is too long.";
- `glusterd_is_valid_volfpath` (glusterd-volgen.c) builds the brick's volfile name
  "/<volume>.<host>.<path without its first '/', '/' as '-'>.vol" (`get_brick_filepath`,
  `GLUSTERD_REMOVE_SLASH_FROM_PATH`) and needs it shorter than _POSIX_PATH_MAX; staging answers
  "Volume file path for volume %s and brick path %s is too long.";
- `glusterd_check_brick_order` (glusterd-utils.c) copies each brick host into `brick_addr[128]`
  with strncpy and then writes `brick_addr[strlen(host)] = '\\0'`: a host of 128 characters or
  more is read unterminated and written past the buffer.
"""

from __future__ import annotations

# cli/src/cli-cmd-parser.c, cli_validate_volname (v10.3, v11.1): "\"%s\" cannot be the name of a volume."
RESERVED_NAMES = (
    "volume", "type", "help", "subvolumes", "option", "end-volume", "all", "volume_not_in_ring",
    "description", "force", "snap-max-hard-limit", "snap-max-soft-limit", "auto-delete",
    "activate-on-create",
)  # fmt: skip

NAME_MAX = 255  # Linux <limits.h>
PATH_MAX = 4096
POSIX_PATH_MAX = 256  # _POSIX_PATH_MAX
VALID_GLUSTERD_PATHMAX = PATH_MAX - (256 + 64)  # 3776: glusterd.h
GD_VOLUME_NAME_MAX = NAME_MAX + 1  # 256: rpc/rpc-lib/src/protocol-common.h
BRICK_ADDR_BUFFER = 128  # glusterd_check_brick_order: char brick_addr[128]

MAX_VOLUME_NAME = GD_VOLUME_NAME_MAX - 1  # 255: what glusterd can store
MAX_BRICK_HOST = NAME_MAX - 1  # 254: what fits `hostname[NAME_MAX]` with its NUL
MAX_BRICK_PATH = VALID_GLUSTERD_PATHMAX - 1  # 3775
MAX_PATH_COMPONENT = POSIX_PATH_MAX - 1  # 255 (also the kernel's NAME_MAX)


def volfile_name(volume: str, host: str, path: str) -> str:
    """The last component of the brick's volfile path, as glusterd builds it (see the docstring)."""
    return f"/{volume}.{host}.{path[1:].replace('/', '-')}.vol"


def too_long(volume: str, host: str, path: str) -> str | None:
    """Why glusterd's staging refuses brick `host:path` of `volume` as too long, or None.

    `path` is the canonical path (no repeated or trailing slashes). The text is ours; the caller
    adds glusterd's own message.
    """
    if len(volume) > MAX_VOLUME_NAME:
        return (f"glusterd stores volume names of at most {MAX_VOLUME_NAME} characters (the CLI "
                f"lets {GD_VOLUME_NAME_MAX} through); this one has {len(volume)}")
    if len(host) > MAX_BRICK_HOST:
        return f"the brick host has {len(host)} characters; glusterd keeps at most {MAX_BRICK_HOST}"
    if len(path) > MAX_BRICK_PATH:
        return f"the brick path has {len(path)} characters; glusterd keeps at most {MAX_BRICK_PATH}"
    longest = max(path.split("/"), key=len)
    if len(longest) > MAX_PATH_COMPONENT:
        return (f"the path component {longest[:40]!r}... has {len(longest)} characters; glusterd "
                f"allows at most {MAX_PATH_COMPONENT} per component")
    return None


def volfile_too_long(volume: str, host: str, path: str) -> str | None:
    """Why the brick's volfile name is too long for glusterd, or None."""
    name = volfile_name(volume, host, path)
    if len(name) < POSIX_PATH_MAX:
        return None
    budget = POSIX_PATH_MAX - len(volfile_name("", "", "/"))
    return (f"glusterd names the brick's volfile {name[:60]!r}..., {len(name)} characters, and "
            f"needs it under {POSIX_PATH_MAX}: volume name, brick host and brick path together "
            f"may have at most {budget} characters, these have {len(volume) + len(host) + len(path)}")
