"""Hostile files built by hand: what an attacker would upload (a forged zip member, a lying PNG header)."""
from __future__ import annotations

import struct
import zlib
from functools import lru_cache

GIB = 1024**3


@lru_cache(maxsize=4)
def raw_deflate_zeros(size: int) -> bytes:
    """`size` zero bytes, raw-deflated (about 1 KB per MB); built in 1 MB pieces, never whole in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    parts.append(compressor.compress(bytes(size % len(block))))
    parts.append(compressor.flush())
    return b"".join(parts)


def forged_zip(declared: int = 4096, inflated: int = GIB, name: str = "zeros.png") -> bytes:
    """A zip whose one member declares `declared` bytes in both headers but inflates to `inflated`."""
    return zip_with_raw_member(raw_deflate_zeros(inflated), declared, zlib.crc32(bytes(declared)), name)


def zip_with_raw_member(data: bytes, declared: int, crc: int, name: str = "member.png") -> bytes:
    """A zip of one deflated member whose compressed bytes are `data`, as they are, and whose local and
    central headers declare `declared` bytes uncompressed with this CRC."""
    encoded = name.encode()
    local = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), declared, len(encoded), 0)
    central = struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), declared,
                          len(encoded), 0, 0, 0, 0, 0, 0) + encoded
    offset = len(local) + len(encoded) + len(data)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 1, 1, len(central), offset, 0)
    return local + encoded + data + central + end


def png_header_only(width: int, height: int) -> bytes:
    """A PNG signature and IHDR declaring width x height (1-bit grey), with one empty IDAT and IEND."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">2I5B", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
