"""Time-stepped images (``log_image(image, key=, step=)``) in MLflow 3's layout.

Each image is stored twice under ``images/``: the full PNG and a thumbnail
(longest side 256 px, WebP), named so MLflow's UI and client find them::

    images/<key>+step+<step>+timestamp+<ms>+<uuid>.png
    images/<key>+step+<step>+timestamp+<ms>+<uuid>+compressed.webp

``/`` in the key becomes ``~`` (no sub-folders), and the run gets the tag
``mlflow.loggedImages = "True"``, as MLflow 3.17 writes them.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any, Optional

from ..exceptions import InvalidParameterError
from ._payloads import image_bytes

#: Longest side of the thumbnail MLflow's UI shows (MLflow's ``COMPRESSED_IMAGE_SIZE``).
COMPRESSED_IMAGE_SIZE = 256
_KEY_RE = re.compile(r"^[a-zA-Z0-9_\-./ ]+$")


def image_file_stem(key: str, step: int, timestamp: int, file_uuid: Optional[str] = None) -> str:
    """The artifact path of a stepped image without its extension.

    >>> image_file_stem("val/pred", 3, 1700000000000, "u")
    'images/val~pred+step+3+timestamp+1700000000000+u'
    """
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise InvalidParameterError(
            f"Invalid image key {key!r}: it may only contain alphanumerics, underscores (_), dashes (-), "
            f"periods (.), spaces ( ) and slashes (/)"
        )
    return f"images/{key.replace('/', '~')}+step+{int(step)}+timestamp+{int(timestamp)}+{file_uuid or uuid.uuid4()}"


def thumbnail_bytes(png: bytes) -> bytes:
    """A WebP copy of a PNG image scaled so that its longest side is ``COMPRESSED_IMAGE_SIZE``."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    width, height = image.size
    if width > height:
        size = (COMPRESSED_IMAGE_SIZE, max(1, int(height * COMPRESSED_IMAGE_SIZE / width)))
    else:
        size = (max(1, int(width * COMPRESSED_IMAGE_SIZE / height)), COMPRESSED_IMAGE_SIZE)
    buffer = io.BytesIO()
    image.resize(size).save(buffer, format="WEBP")
    return buffer.getvalue()


def stepped_image_files(image: Any, key: str, step: int, timestamp: int) -> dict[str, bytes]:
    """``{artifact path: bytes}`` of the full image and its thumbnail (see the module docstring)."""
    stem = image_file_stem(key, step, timestamp)
    png = image_bytes(image, stem + ".png")
    return {stem + ".png": png, stem + "+compressed.webp": thumbnail_bytes(png)}


__all__ = ["COMPRESSED_IMAGE_SIZE", "image_file_stem", "stepped_image_files", "thumbnail_bytes"]
