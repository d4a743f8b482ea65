"""Processed photos on disk, named by content hash, written atomically."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

UPLOAD_PREFIX = ".upload-"  # a file being written, renamed into place once whole
STALE_UPLOAD = timedelta(minutes=10)  # older than this, no upload is still writing it


class PhotoStore:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def path(self, sha256: str, *, thumbnail: bool = False) -> Path:
        suffix = ".thumb.jpg" if thumbnail else ".jpg"
        return self.root / sha256[:2] / f"{sha256}{suffix}"

    def save(self, sha256: str, image: bytes, thumbnail: bytes) -> None:
        for data, is_thumb in ((image, False), (thumbnail, True)):
            target = self.path(sha256, thumbnail=is_thumb)
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write beside, then rename: a reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=UPLOAD_PREFIX)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def delete(self, sha256: str) -> None:
        for is_thumb in (False, True):
            self.path(sha256, thumbnail=is_thumb).unlink(missing_ok=True)

    def sweep_uploads(self, older_than: timedelta = STALE_UPLOAD) -> int:
        """Remove the temporary files of uploads cut short (a killed worker), older than
        `older_than`; called at start-up. Returns how many were removed."""
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for tmp in [*self.root.glob(f"{UPLOAD_PREFIX}*"), *self.root.glob(f"*/{UPLOAD_PREFIX}*")]:
            try:
                if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
            except FileNotFoundError:  # another worker starting swept it first
                continue
        return removed
