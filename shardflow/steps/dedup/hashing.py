"""Vectorised MinHash: normalised texts -> word hashes -> n-gram shingles -> signatures -> bands.

Everything is numpy over whole batches; no Python loop runs per word or per shingle.

* A word's hash is a polynomial over its UTF-8 bytes (mod 2**64), finished with the
  splitmix64 mixer. Words are the space-separated pieces of a normalised text (see
  :mod:`~shardflow.steps.dedup.normalize`).
* A shingle is ``ngram`` consecutive words of one document, hashed the same way from its word
  hashes. A document shorter than ``ngram`` words has one shingle: all its words.
* Permutation ``i`` of the MinHash is ``x -> a_i * x + b_i (mod 2**32)`` with odd ``a_i``: a
  bijection of 32-bit values, applied to the top 32 bits of the mixed shingle hashes. ``a`` and ``b`` come
  from ``numpy.random.default_rng(seed)``, so a seed gives the same signatures everywhere.
* A band hash mixes the ``rows`` values of one band; two documents share a bucket in band
  ``b`` when their band-``b`` hashes are equal.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_U64 = np.uint64
_WORD_BASE = _U64(0x100000001B3)
_SHINGLE_BASE = _U64(0x9E3779B97F4A7C15)
# Signatures are computed for groups of documents holding about this many shingles, so the
# (shingles x permutations) matrix stays near 16 MB whatever the documents' lengths.
_CHUNK_CELLS = 2_000_000


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a bijective mixer of uint64 values (wraps mod 2**64)."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> _U64(30))
        x = x * _U64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> _U64(27))
        x = x * _U64(0x94D049BB133111EB)
        return x ^ (x >> _U64(31))


def _powers(base: np.uint64, n: int) -> np.ndarray:
    out = np.empty(max(n, 1), dtype=_U64)
    out[0] = 1
    with np.errstate(over="ignore"):
        if n > 1:
            out[1:] = base
            out = np.cumprod(out, dtype=_U64)
    return out


def word_hashes(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Hash every word of a normalised ``large_string`` array.

    Returns:
        ``(hashes, counts)``: the uint64 hash of each word in document order, and how many
        words each document has.
    """
    n_docs = len(texts)
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset:texts.offset + n_docs + 1]
    data = np.frombuffer(texts.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    offsets = offsets - offsets[0]
    is_byte = data != 32
    starts = np.zeros(len(data), dtype=bool)
    starts[1:] = is_byte[1:] & ~is_byte[:-1]
    starts[offsets[:-1][offsets[:-1] < len(data)]] = True  # a document's first byte starts a word
    starts &= is_byte
    word_start = np.flatnonzero(starts)
    counts = np.diff(np.searchsorted(word_start, offsets))
    if not len(word_start):
        return np.empty(0, dtype=_U64), counts
    keep = np.flatnonzero(is_byte)
    # Position of each kept byte inside its word, to weight it by base**position.
    first = np.maximum.accumulate(np.where(starts[keep], keep, 0))
    pos = keep - first
    with np.errstate(over="ignore"):
        terms = (data[keep].astype(_U64) + _U64(1)) * _powers(_WORD_BASE, int(pos.max()) + 1)[pos]
    seg = np.searchsorted(keep, word_start)
    return splitmix64(np.add.reduceat(terms, seg)), counts


def shingle_hashes(words: np.ndarray, counts: np.ndarray, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """Hash the ``ngram``-word shingles of each document.

    Returns:
        ``(hashes, counts)``: shingle hashes in document order and how many each document has
        (``max(words - ngram + 1, 1)``, or 0 for a document without words).
    """
    n = len(words)
    doc_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    doc_of = np.repeat(np.arange(len(counts)), counts)
    pos = np.arange(n) - np.repeat(doc_start, counts)
    own = np.repeat(counts, counts)
    # A shingle starts at every word that has ngram - 1 words after it in its document, and
    # at the first word of a document shorter than ngram.
    valid = (pos + ngram <= own) | ((pos == 0) & (own < ngram))
    acc = np.zeros(n, dtype=_U64)
    with np.errstate(over="ignore"):
        for k, weight in enumerate(_powers(_SHINGLE_BASE, ngram)):
            idx = np.arange(n) + k
            inside = (pos + k < own)
            idx = np.where(inside, idx, 0)
            acc += np.where(inside, words[idx] * weight, _U64(0))
    starts = np.flatnonzero(valid)
    return splitmix64(acc[starts]), np.bincount(doc_of[starts], minlength=len(counts))


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` uint32 coefficients of ``num_perm`` MinHash permutations for ``seed``."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**31, size=num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = rng.integers(0, 2**32, size=num_perm, dtype=np.uint32)
    return a, b


def signatures(shingles: np.ndarray, counts: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signatures, one row of ``len(a)`` uint32 per document with ``counts > 0``.

    The permutations work on the top 32 bits of the (mixed) shingle hashes: 32-bit lanes
    halve the memory traffic of the (shingles x permutations) matrix, the bulk of the cost.
    """
    docs = np.flatnonzero(counts)
    out = np.empty((len(docs), len(a)), dtype=np.uint32)
    ends = np.cumsum(counts[docs])
    starts = ends - counts[docs]
    high = (shingles >> _U64(32)).astype(np.uint32)
    per_chunk = max(1, _CHUNK_CELLS // len(a))
    i = 0
    while i < len(docs):
        # Take documents until the chunk holds about per_chunk shingles (at least one doc).
        j = max(i + 1, int(np.searchsorted(ends, starts[i] + per_chunk, side="right")))
        lo, hi = starts[i], ends[j - 1]
        with np.errstate(over="ignore"):
            values = high[lo:hi, None] * a[None, :] + b[None, :]
        out[i:j] = np.minimum.reduceat(values, starts[i:j] - lo, axis=0)
        i = j
    return out


def band_hashes(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Hash each band of ``rows`` signature values: ``(docs, bands)`` uint64."""
    cut = sigs[:, : bands * rows].reshape(len(sigs), bands, rows).astype(_U64)
    acc = np.zeros((len(sigs), bands), dtype=_U64)
    with np.errstate(over="ignore"):
        for r, weight in enumerate(_powers(_SHINGLE_BASE, rows)):
            acc += cut[:, :, r] * weight
    return splitmix64(acc)
