"""HMAC-SHA256 (RFC 2104, FIPS 198-1) for MicroPython, which has hashlib.sha256 but no hmac.

MicroPython's sha256 objects cannot be copied, so the padded key blocks are prepared once per key
(HmacSha256) and each digest costs two fresh sha256 runs.  Checked against CPython's hmac with
the RFC 4231 vectors (host_tests/portable/test_token.py).
"""
import hashlib

from micropython import const

_BLOCK = const(64)      # SHA-256 block size in bytes


class HmacSha256:
    """A key prepared for many messages: digest(msg) -> 32 bytes."""

    def __init__(self, key):
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        ipad = bytearray(_BLOCK)
        opad = bytearray(_BLOCK)
        n = len(key)
        for i in range(_BLOCK):
            k = key[i] if i < n else 0
            ipad[i] = k ^ 0x36
            opad[i] = k ^ 0x5C
        self._ipad = bytes(ipad)
        self._opad = bytes(opad)

    def digest(self, msg):
        h = hashlib.sha256(self._ipad)
        h.update(msg)
        inner = h.digest()
        h = hashlib.sha256(self._opad)
        h.update(inner)
        return h.digest()


def hmac_sha256(key, msg):
    """-> the 32-byte HMAC-SHA256 of msg under key (both bytes-like)."""
    return HmacSha256(key).digest(msg)


def equal(a, b):
    """Compares two byte strings in time that depends only on their length."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0
