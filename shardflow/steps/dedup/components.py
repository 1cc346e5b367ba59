"""Connected components of "shares a bucket" edges, vectorised with numpy.

Documents are numbered 0..n-1 in input order. Two documents are joined when, in some band,
their band hashes are equal; the clusters are the connected components of those joins. Each
component is labelled by its smallest member, which is therefore the document a dedup keeps:
the first in input order, whatever the number of workers.
"""

from __future__ import annotations

import numpy as np


def bucket_edges(band_hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges ``(u, v)`` that join every document to the first of its bucket, band by band.

    Args:
        band_hashes: ``(documents, bands)`` uint64 array.
    """
    us, vs = [], []
    for band in band_hashes.T:
        order = np.argsort(band, kind="stable")
        ordered = band[order]
        new_bucket = np.ones(len(order), dtype=bool)
        new_bucket[1:] = ordered[1:] != ordered[:-1]
        first = order[np.maximum.accumulate(np.where(new_bucket, np.arange(len(order)), 0))]
        joined = ~new_bucket
        us.append(first[joined])
        vs.append(order[joined])
    if not us:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(us).astype(np.int64), np.concatenate(vs).astype(np.int64)


def component_roots(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The smallest member of each node's component (hook to the smaller root, then compress).

    Each round hooks the root of every edge's larger end onto the smaller root and then
    compresses paths by pointer jumping, until no edge joins two different roots.
    """
    parent = np.arange(n, dtype=np.int64)
    while len(u):
        ru, rv = parent[u], parent[v]
        differ = ru != rv
        if not differ.any():
            break
        ru, rv = ru[differ], rv[differ]
        low, high = np.minimum(ru, rv), np.maximum(ru, rv)
        np.minimum.at(parent, high, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        u, v = u[differ], v[differ]
    return parent
