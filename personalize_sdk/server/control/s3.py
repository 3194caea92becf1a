"""``s3://`` paths on this machine: a folder per bucket under one root.

With ``--s3-root DIR``, ``s3://bucket/key`` is the file ``DIR/bucket/key``
and ``s3://bucket/folder/`` every file under ``DIR/bucket/folder/``. Upload a
sample's CSV by copying it there; read a job's output from there.
"""

from __future__ import annotations

import os
from typing import Iterator

from ..errors import InvalidInputException


class S3Mapping:
    """Resolves ``s3://`` URLs to paths under ``root`` (``None``: no mapping,
    and every job that reads or writes S3 fails saying so)."""

    def __init__(self, root: str | None = None) -> None:
        self.root = os.path.abspath(root) if root else None

    def path(self, url: str, member: str) -> str:
        """The local path of ``url``, given as request member ``member``."""
        if not url.startswith("s3://"):
            raise InvalidInputException(
                f"{member}: only s3:// locations are available in the local Personalize, not {url!r}."
            )
        if self.root is None:
            raise InvalidInputException(
                f"{member}: {url} cannot be read: the local Personalize was started "
                "without an S3 mapping (--s3-root DIR)."
            )
        bucket, _, key = url[len("s3://") :].partition("/")
        if not bucket:
            raise InvalidInputException(f"{member}: {url!r} names no bucket.")
        parts = [bucket] + [p for p in key.split("/") if p]
        if any(p in (".", "..") for p in parts):
            raise InvalidInputException(f"{member}: {url!r} may not contain '.' or '..' segments.")
        path = os.path.join(self.root, *parts)
        return path + os.sep if url.endswith("/") else path

    def files(self, url: str, member: str) -> list[str]:
        """The file ``url`` names, or every file under it when it is a folder
        (sorted, sub-folders included); none found is an error naming the path."""
        path = self.path(url, member)
        if os.path.isfile(path.rstrip(os.sep)):
            return [path.rstrip(os.sep)]
        found = sorted(_walk(path)) if os.path.isdir(path) else []
        if not found:
            raise FileNotFoundError(f"{member}: no file at {url} (looked in {self._shown(path)}).")
        return found

    def _shown(self, path: str) -> str:
        # Say where under the root, never the machine's own absolute path.
        return "<s3-root>/" + os.path.relpath(path, self.root) if self.root else path


def _walk(folder: str) -> Iterator[str]:
    for parent, _, names in os.walk(folder):
        for name in names:
            if not name.startswith("."):
                yield os.path.join(parent, name)
