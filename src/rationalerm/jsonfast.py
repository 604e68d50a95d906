"""JSON encoding and decoding on the hot paths (judge requests and answers, JSONL records), with orjson.

orjson is several times faster than the standard library on the records a judge run writes (a few KB each, one per
sample) and on the request bodies it sends. Where orjson refuses a value the standard library accepts, the standard
library decides, so nothing that worked before fails now:

* decoding: ``NaN``/``Infinity`` literals, integers beyond 64 bits (which orjson would read as floats) and lone
  surrogate escapes are read by ``json``; an invalid document raises ``json.JSONDecodeError`` with the standard
  message, line and column;
* encoding: integers beyond 64 bits, and anything orjson cannot encode, go to ``json.dumps``. Output is compact
  (no spaces after ``,`` and ``:``), UTF-8, non-ASCII characters as they are (``ensure_ascii=False``). Non-finite
  floats become ``null`` (orjson) rather than the invalid ``NaN`` token.

Without orjson installed (a platform with no wheel) every function falls back to ``json`` whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# orjson is a dependency; the fallback keeps a platform without its wheel working.
try:
    import orjson
except ImportError:  # pragma: no cover
    orjson = None  # type: ignore[assignment]

__all__ = ["dumps", "dumps_bytes", "loads", "loads_utf8"]

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY if orjson is not None else 0


# orjson reads an integer beyond 64 bits as a float, silently. Such an integer has at least 19 digits in a row, so a
# document with such a run (found by mapping digits to "0" and the rest to " ": a few us for a record of 5 KB) is
# left to json, which reads it exactly.
_DIGIT_MAP = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_DIGIT_RUN = b"0" * 19


def loads(data: str | bytes | bytearray) -> Any:
    """``json.loads``, through orjson where it reads the document the same."""
    if orjson is not None:
        raw = data if isinstance(data, bytes | bytearray) else data.encode("utf-8", "surrogatepass")
        if _LONG_DIGIT_RUN not in raw.translate(_DIGIT_MAP):
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass  # NaN, a lone surrogate, invalid UTF-8 or no JSON: json decides, and words any error
    return json.loads(data)


def loads_utf8(line: bytes) -> Any:
    """:func:`loads` of ``line`` decoded as a text-mode reader with ``errors="replace"`` decodes it.

    orjson reads valid UTF-8 as it is, so the bytes go to it without a decode and re-encode; what it refuses
    (invalid UTF-8 among others) is decoded with replacement characters and read by :func:`loads`.
    """
    if orjson is not None and _LONG_DIGIT_RUN not in line.translate(_DIGIT_MAP):
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass
    return loads(line.decode("utf-8", "replace"))


def dumps_bytes(value: Any, default: Callable[[Any], Any] | None = None, *, sort_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON of ``value``; ``default`` converts what neither encoder knows (as in ``json.dumps``);
    ``sort_keys`` orders every object's keys (for content hashes)."""
    if orjson is not None:
        # orjson.JSONEncodeError is a TypeError: a huge integer, a lone surrogate, ...: json decides.
        try:
            return orjson.dumps(
                value, default=default, option=_OPTIONS | orjson.OPT_SORT_KEYS if sort_keys else _OPTIONS
            )
        except TypeError:
            pass
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=default, sort_keys=sort_keys)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be UTF-8: escaped instead, so the JSON stays valid
        return json.dumps(
            value, ensure_ascii=True, separators=(",", ":"), default=default, sort_keys=sort_keys
        ).encode("ascii")


def dumps(value: Any, default: Callable[[Any], Any] | None = None, *, sort_keys: bool = False) -> str:
    """:func:`dumps_bytes` as text."""
    return dumps_bytes(value, default, sort_keys=sort_keys).decode("utf-8")
