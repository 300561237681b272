"""Serialising in-memory objects into artifact files: text, dicts, figures, images.

Each function returns the bytes to store; the format follows the artifact
file's extension::

    dict_bytes({"alpha": 0.1}, "config.yaml")    # b'alpha: 0.1\\n'
    image_bytes(np.zeros((8, 8, 3)), "img.png")  # PNG bytes
"""

from __future__ import annotations

import io
import json
import posixpath
from typing import Any

from ..exceptions import InvalidParameterError

_YAML_EXTENSIONS = (".yaml", ".yml")


def _extension(artifact_file: str) -> str:
    return posixpath.splitext(str(artifact_file).lower())[1]


def _json_default(obj: Any) -> Any:
    for method in ("tolist", "item"):  # numpy arrays and scalars
        if hasattr(obj, method):
            return getattr(obj, method)()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def text_bytes(text: str, artifact_file: str) -> bytes:
    """UTF-8 bytes of ``text``.

    >>> text_bytes("hello", "note.txt")
    b'hello'
    """
    if not isinstance(text, str):
        raise InvalidParameterError(
            f"Invalid text for artifact {artifact_file!r}: log_text takes a str, got {type(text).__name__}"
        )
    return text.encode("utf-8")


def dict_bytes(dictionary: Any, artifact_file: str) -> bytes:
    """JSON (``.json`` and any other extension) or YAML (``.yaml``/``.yml``) bytes.

    >>> dict_bytes({"a": 1}, "d.json")
    b'{\\n  "a": 1\\n}'
    """
    try:
        if _extension(artifact_file) in _YAML_EXTENSIONS:
            import yaml

            plain = json.loads(json.dumps(dictionary, default=_json_default))
            return yaml.safe_dump(plain, default_flow_style=False, sort_keys=False).encode("utf-8")
        return json.dumps(dictionary, indent=2, default=_json_default).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"Cannot log {type(dictionary).__name__} as {artifact_file!r}: the value must be "
            f"JSON/YAML serialisable ({exc})"
        ) from None


def figure_bytes(figure: Any, artifact_file: str, save_kwargs: "dict[str, Any] | None" = None) -> bytes:
    """A matplotlib figure (any format matplotlib saves) or a plotly figure (.html, .json, images).

    >>> figure_bytes(fig, "plot.png")[:4]
    b'\\x89PNG'
    """
    ext = _extension(artifact_file)
    module = type(figure).__module__
    if module.startswith("matplotlib"):
        buffer = io.BytesIO()
        kwargs = {"format": ext.lstrip(".") or "png"}
        kwargs.update(save_kwargs or {})
        try:
            figure.savefig(buffer, **kwargs)
        except ValueError as exc:
            raise InvalidParameterError(f"Cannot save the figure as {artifact_file!r}: {exc}") from None
        return buffer.getvalue()
    if module.startswith("plotly"):
        if ext in (".html", ".htm"):
            return figure.to_html(**(save_kwargs or {})).encode("utf-8")
        if ext == ".json":
            return figure.to_json().encode("utf-8")
        try:
            return figure.to_image(format=ext.lstrip("."), **(save_kwargs or {}))
        except Exception as exc:
            raise InvalidParameterError(
                f"Cannot save the plotly figure as {artifact_file!r}: use .html or .json, or install "
                f"kaleido for image formats ({exc})"
            ) from None
    raise InvalidParameterError(
        f"Cannot log figure of type {type(figure).__module__}.{type(figure).__name__}: "
        f"log_figure takes a matplotlib or plotly figure"
    )


def _array_to_pil(image: Any, artifact_file: str):
    import numpy as np
    from PIL import Image

    array = np.asarray(image)
    rule = (
        "an image array must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), hold integers in "
        "[0, 255] or floats in [0, 1]"
    )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))) or array.size == 0:
        raise InvalidParameterError(
            f"Invalid image for {artifact_file!r}: shape {array.shape}; {rule}"
        )
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise InvalidParameterError(
                f"Invalid image for {artifact_file!r}: float values outside [0, 1] "
                f"(min {array.min()!r}, max {array.max()!r}); {rule}"
            )
        array = (array * 255).round().astype(np.uint8)
    elif np.issubdtype(array.dtype, np.integer):
        if array.min() < 0 or array.max() > 255:
            raise InvalidParameterError(
                f"Invalid image for {artifact_file!r}: integer values outside [0, 255] "
                f"(min {array.min()!r}, max {array.max()!r}); {rule}"
            )
        array = array.astype(np.uint8)
    else:
        raise InvalidParameterError(f"Invalid image for {artifact_file!r}: dtype {array.dtype}; {rule}")
    return Image.fromarray(array)


def image_bytes(image: Any, artifact_file: str) -> bytes:
    """A PIL image or numpy array encoded in the format of the extension (PNG by default).

    >>> image_bytes(np.zeros((4, 4), dtype=np.uint8), "mask.png")[:4]
    b'\\x89PNG'
    """
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow ships with matplotlib
        raise InvalidParameterError("log_image needs the 'pillow' package: pip install pillow") from None
    if not isinstance(image, Image.Image):
        if not hasattr(image, "__array__") and not isinstance(image, (list, tuple)):
            raise InvalidParameterError(
                f"Cannot log image of type {type(image).__name__} as {artifact_file!r}: "
                f"log_image takes a numpy array or a PIL image"
            )
        image = _array_to_pil(image, artifact_file)
    ext = _extension(artifact_file).lstrip(".") or "png"
    fmt = Image.registered_extensions().get("." + ext)
    if fmt is None:
        raise InvalidParameterError(
            f"Cannot save image as {artifact_file!r}: unknown image extension {ext!r} (use .png, .jpg, ...)"
        )
    if fmt == "JPEG" and image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()
