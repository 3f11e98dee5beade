"""gzip for the daemon's answers: reports, the shared scripts and pages shrink five- to tenfold."""

from __future__ import annotations

import gzip
import hashlib

# Smaller bodies gain nothing worth the CPU and the header.
MIN_SIZE = 1024
LARGE = 1024 * 1024
_LARGE_KEPT = 4
_large: dict[bytes, bytes] = {}
_COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (RFC 9110: `gzip`, `x-gzip` or `*`, with q above 0)."""
    allowed: dict[str, bool] = {}
    for item in accept_encoding.split(","):
        coding, _, parameters = item.partition(";")
        coding = coding.strip().lower()
        if coding:
            allowed[coding] = _quality(parameters) > 0
    if "gzip" in allowed or "x-gzip" in allowed:
        return allowed.get("gzip", False) or allowed.get("x-gzip", False)
    return allowed.get("*", False)


def compressible(content_type: str, size: int) -> bool:
    return size >= MIN_SIZE and content_type.startswith(_COMPRESSIBLE)


def gzipped(payload: bytes) -> bytes:
    """The payload gzip-compressed; the same bytes always give the same answer (no time in the header)."""
    if len(payload) < LARGE:
        return gzip.compress(payload, compresslevel=6, mtime=0)
    # A large body (the shared scripts, 3.5 MB, a tenth of a second to compress) is asked for again and
    # again: compressed once per content.
    digest = hashlib.sha256(payload).digest()
    cached = _large.get(digest)
    if cached is None:
        cached = gzip.compress(payload, compresslevel=6, mtime=0)
        if len(_large) >= _LARGE_KEPT:
            _large.clear()
        _large[digest] = cached
    return cached


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0
