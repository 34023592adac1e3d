"""fingerprint64 against the C++ FarmHash library (fixture) for every length branch, and
siphash64 against the SipHash-2-4 reference vectors."""

import os

import numpy as np

from lamina.layers.preprocessing.string_hash import fingerprint64, siphash64

FIXTURE = np.load(
    os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "string_hash.npz")
)
REFERENCE_KEY = (0x0706050403020100, 0x0F0E0D0C0B0A0908)  # the key bytes 00 01 ... 0f


def test_fingerprint64_matches_farmhash_at_every_length():
    data, offsets = FIXTURE["data"].tobytes(), FIXTURE["offsets"]
    expected = FIXTURE["fingerprints"]
    assert len(expected) > 140
    ours = [fingerprint64(data[a:b]) for a, b in zip(offsets[:-1], offsets[1:])]
    np.testing.assert_array_equal(np.array(ours, dtype=np.uint64), expected)


def test_fingerprint64_known_values_and_range():
    assert fingerprint64(b"") == 0x9AE16A3B2F90404F  # FarmHash's k2 for the empty string
    values = [fingerprint64(bytes([i])) for i in range(256)]
    assert len(set(values)) == 256 and all(0 <= v < 2**64 for v in values)


def test_siphash64_reference_vectors():
    # SipHash-2-4 paper (Aumasson and Bernstein), appendix A, and the reference test vectors
    assert siphash64(REFERENCE_KEY, bytes(range(15))) == 0xA129CA6149BE45E5
    assert siphash64(REFERENCE_KEY, b"") == 0x726FDB47DD0E0E31
    assert siphash64(REFERENCE_KEY, bytes(range(8))) == 0x93F5F5799A932462
    assert siphash64((1, 2), b"abc") != siphash64((2, 1), b"abc")
