"""Model-free reference code lengths from generic compressors (SPEC 2, text reference option).

`zlib_bits(data) = 8 · len(zlib.compress(data, 9))`, `lzma_bits` likewise (raw LZMA2 stream,
no container header, so short samples are not charged for format overhead). Both are upper
bounds on the Kolmogorov complexity of the sample's UTF-8 bytes, in bits.
"""

from __future__ import annotations

import lzma
import zlib

_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]


def _as_bytes(sample: str | bytes) -> bytes:
    return sample.encode("utf-8") if isinstance(sample, str) else sample


def zlib_bits(sample: str | bytes) -> float:
    """Bits of the zlib (level 9) encoding of the sample's UTF-8 bytes."""
    return 8.0 * len(zlib.compress(_as_bytes(sample), 9))


def lzma_bits(sample: str | bytes) -> float:
    """Bits of the raw LZMA2 (preset 9e) encoding of the sample's UTF-8 bytes."""
    return 8.0 * len(
        lzma.compress(_as_bytes(sample), format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    )


COMPRESSORS = {"zlib": zlib_bits, "lzma": lzma_bits}
