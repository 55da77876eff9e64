"""SipHash-2-4 (Aumasson and Bernstein, 2012) for MicroPython, plus the one message shape that
OpenPAYGO Token hashes once per count on every token entry.

Numbers are Python ints kept to 64 bits by masking.  On a 32-bit MicroPython port these are heap
long ints (small ints stop at 2**30 - 1), so each hash allocates about 8.7 KB, but this was the
fastest form measured under the interpreter.  Per OpenPAYGO step, best of several runs, the
WebAssembly port (tools/mp_test.mjs) / CPython 3.11:
  64-bit, loop of double rounds (kept here)   67 us / 9.5 us
  64-bit, fully unrolled                       60 us / 8.3 us   (10 % for 60 more lines: no)
  64-bit, loop of single rounds                80 us
  two 32-bit halves (long ints above 2**30)   133 us / 16 us
  four 16-bit limbs (allocation-free)          90 us / 21 us
  the `siphash` package (the reference's)         - / 11 us, plus its struct packing
The interpreter's cost per bytecode dominates, and limbs need about four times the bytecodes.
On a board, where every long-int op also takes heap and feeds the collector, the limb form
may win: measure there before changing.

Masking is lazy where it is safe: v0 and v2 may carry garbage above bit 63 between rounds,
because they are next used only by an addition or xor whose result is masked before any right
shift.  v1 and v3 are always exact.
"""
from micropython import const

_MASK = const(0xFFFFFFFFFFFFFFFF)
# the length byte of an 8-byte message, in SipHash's final block
_LEN8 = const(0x0800000000000000)


def key_state(key):
    """-> the initial SipHash state (v0, v1, v2, v3) for a 16-byte key; prepare once per key."""
    if len(key) != 16:
        raise ValueError("SipHash key must be 16 bytes")
    k0 = int.from_bytes(bytes(key[0:8]), "little")
    k1 = int.from_bytes(bytes(key[8:16]), "little")
    return (k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
            k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573)


def _rounds(v0, v1, v2, v3, n):
    for _ in range(n):
        v0 = (v0 + v1) & _MASK
        v1 = (((v1 << 13) | (v1 >> 51)) & _MASK) ^ v0
        v0 = (v0 << 32) | (v0 >> 32)
        v2 += v3
        v3 = (((v3 << 16) | (v3 >> 48)) ^ v2) & _MASK
        v0 += v3
        v3 = (((v3 << 21) | (v3 >> 43)) ^ v0) & _MASK
        v2 = (v2 + v1) & _MASK
        v1 = (((v1 << 17) | (v1 >> 47)) & _MASK) ^ v2
        v2 = (v2 << 32) | (v2 >> 32)
    return v0, v1, v2, v3


def siphash24(key, data):
    """-> the 8-byte SipHash-2-4 of data (bytes-like) under a 16-byte key, as the standard's test
    vectors print it (the 64-bit result little-endian)."""
    v0, v1, v2, v3 = key_state(key)
    n = len(data)
    end = n - (n & 7)
    for i in range(0, end, 8):
        m = int.from_bytes(bytes(data[i:i + 8]), "little")
        v0, v1, v2, v3 = _rounds(v0, v1, v2, v3 ^ m, 2)
        v0 ^= m
    b = ((n & 0xFF) << 56) | int.from_bytes(bytes(data[end:n]), "little")
    v0, v1, v2, v3 = _rounds(v0, v1, v2, v3 ^ b, 2)
    v0, v1, v2, v3 = _rounds(v0 ^ b, v1, v2 ^ 0xFF, v3, 4)
    return ((v0 ^ v1 ^ v2 ^ v3) & _MASK).to_bytes(8, "little")


def fold_word(ks, w):
    """SipHash-2-4, under the prepared key ks (key_state), of the 8-byte message made of the
    32-bit word w written big-endian twice; returns (high 32 bits XOR low 32 bits) >> 2, a
    30-bit small int.  This is exactly the hash OpenPAYGO Token chains its codes with.

    The rounds are written out here again (not a call to _rounds): a call per group of rounds
    cost 10-25 % more on both interpreters.
    """
    # the message as SipHash reads it: the word's byte-swap in both 32-bit halves
    s = ((w & 0xFF) << 24) | ((w & 0xFF00) << 8) | ((w >> 8) & 0xFF00) | ((w >> 24) & 0xFF)
    m = s | (s << 32)
    v0, v1, v2, v3 = ks
    v3 ^= m
    for i in range(4):
        # two SipRounds per pass: message block, length block, then four finalization rounds
        v0 = (v0 + v1) & _MASK
        v1 = (((v1 << 13) | (v1 >> 51)) & _MASK) ^ v0
        v0 = (v0 << 32) | (v0 >> 32)
        v2 += v3
        v3 = (((v3 << 16) | (v3 >> 48)) ^ v2) & _MASK
        v0 += v3
        v3 = (((v3 << 21) | (v3 >> 43)) ^ v0) & _MASK
        v2 = (v2 + v1) & _MASK
        v1 = (((v1 << 17) | (v1 >> 47)) & _MASK) ^ v2
        v2 = (v2 << 32) | (v2 >> 32)
        v0 = (v0 + v1) & _MASK
        v1 = (((v1 << 13) | (v1 >> 51)) & _MASK) ^ v0
        v0 = (v0 << 32) | (v0 >> 32)
        v2 += v3
        v3 = (((v3 << 16) | (v3 >> 48)) ^ v2) & _MASK
        v0 += v3
        v3 = (((v3 << 21) | (v3 >> 43)) ^ v0) & _MASK
        v2 = (v2 + v1) & _MASK
        v1 = (((v1 << 17) | (v1 >> 47)) & _MASK) ^ v2
        v2 = (v2 << 32) | (v2 >> 32)
        if i == 0:
            v0 ^= m
            v3 ^= _LEN8
        elif i == 1:
            v0 ^= _LEN8
            v2 ^= 0xFF
    h = v0 ^ v1 ^ v2 ^ v3
    return (((h >> 32) ^ h) >> 2) & 0x3FFFFFFF
