"""Photos, documents and animations the bot sends: uploads are checked as Telegram checks
them, given file ids the bot can send again, and their bytes kept (within a budget) for tests
to read."""

from __future__ import annotations

import itertools
import mimetypes
import re
import secrets
from collections import OrderedDict
from typing import Any

from .state import FileInfo
from .validation import (
    MAX_DOCUMENT_BYTES,
    MAX_PHOTO_BYTES,
    ApiError,
    Params,
    Upload,
    bad_request,
    image_size,
)


class FileStore:
    """Every file the bot sent, by file id, and the newest uploads' bytes."""

    def __init__(self, max_stored_bytes: int) -> None:
        self.max_stored_bytes = max_stored_bytes
        self._ids = itertools.count(1)
        self._files: OrderedDict[str, FileInfo] = OrderedDict()
        self._content: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0

    def content(self, file_id: str) -> bytes | None:
        """Bytes of an uploaded file, while it is still kept."""
        return self._content.get(file_id)

    def input_file(self, params: Params, name: str, kind: str) -> list[FileInfo]:
        """The file a send names in `name`: an upload, a URL or a known file id. Photos give
        several sizes, smallest first."""
        upload = params.uploads.get(name)
        value = params.get_str(name)
        if upload is None and value and value.startswith("attach://"):
            upload = params.uploads.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"file for {name} not found in the request")
        if upload is not None:
            return self._store_upload(upload, kind)
        if not value:
            raise bad_request(f"there is no {name} in the request")
        if re.match(r"(?i)https?://", value):
            return [self._file_info(kind, 0, url=value, width=800, height=600)]
        known = self._files.get(value)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if known.kind != kind:
            raise bad_request("type of file mismatch")
        return [known]

    def _store_upload(self, upload: Upload, kind: str) -> list[FileInfo]:
        content = upload.content
        if not content:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            return self._store_photo(content)
        if kind == "animation":
            return self._store_animation(upload)
        if len(content) > MAX_DOCUMENT_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename or "")[0] or "application/octet-stream"
        info = self._file_info("document", len(content), file_name=upload.filename, mime_type=mime)
        self._keep(info.file_id, content)
        return [info]

    def _store_animation(self, upload: Upload) -> list[FileInfo]:
        """An MP4 (H.264) or GIF; Telegram sends anything else as a plain document."""
        content = upload.content
        if len(content) > MAX_DOCUMENT_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        if content[4:8] == b"ftyp":
            mime = "video/mp4"
        elif content[:4] == b"GIF8":
            mime = "image/gif"
        else:
            return self._store_upload(upload, "document")
        width, height = image_size(content) or _mp4_size(content) or (0, 0)
        info = self._file_info(
            "animation",
            len(content),
            file_name=upload.filename,
            mime_type=mime,
            width=width,
            height=height,
            duration=_mp4_seconds(content),
        )
        self._keep(info.file_id, content)
        return [info]

    def _store_photo(self, content: bytes) -> list[FileInfo]:
        if len(content) > MAX_PHOTO_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        size = image_size(content)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if (
            width < 1
            or height < 1
            or width + height > 10_000
            or max(width, height) > 20 * min(width, height)
        ):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        sizes = []
        for side in (90, 320, 1280):
            scale = min(1.0, side / max(width, height))
            sizes.append(
                self._file_info(
                    "photo",
                    len(content) if scale == 1.0 else int(len(content) * scale * scale),
                    width=max(1, round(width * scale)),
                    height=max(1, round(height * scale)),
                )
            )
            if scale == 1.0:
                break
        self._keep(sizes[-1].file_id, content)
        return sizes

    def _file_info(self, kind: str, size: int, **fields: Any) -> FileInfo:
        number = next(self._ids)
        prefix = {"photo": "AgAC", "animation": "CgAC"}.get(kind, "BQAC")
        info = FileInfo(
            f"{prefix}{number:08d}{secrets.token_hex(8)}", f"AQAD{number:08d}", kind, size, **fields
        )
        self._files[info.file_id] = info
        while len(self._files) > 100_000:
            self._files.popitem(last=False)
        return info

    def _keep(self, file_id: str, content: bytes) -> None:
        self._content[file_id] = content
        self._bytes += len(content)
        while self._bytes > self.max_stored_bytes and self._content:
            _, dropped = self._content.popitem(last=False)
            self._bytes -= len(dropped)


def _mp4_size(content: bytes) -> tuple[int, int] | None:
    """Width and height from the first track header (16.16 fixed point, at the box's end)."""
    at = content.find(b"tkhd")
    if at < 4:
        return None
    end = at - 4 + int.from_bytes(content[at - 4 : at], "big")
    if end > len(content) or end < at + 8:
        return None
    return int.from_bytes(content[end - 8 : end - 4], "big") >> 16, int.from_bytes(
        content[end - 4 : end], "big"
    ) >> 16


def _mp4_seconds(content: bytes) -> int:
    """Whole seconds from the movie header (version 0 or 1); 0 when it cannot be read."""
    at = content.find(b"mvhd")
    if at < 0 or at + 40 > len(content):
        return 0
    body = at + 4
    if content[body] == 1:
        scale = int.from_bytes(content[body + 20 : body + 24], "big")
        length = int.from_bytes(content[body + 24 : body + 32], "big")
    else:
        scale = int.from_bytes(content[body + 12 : body + 16], "big")
        length = int.from_bytes(content[body + 16 : body + 20], "big")
    return round(length / scale) if scale else 0
