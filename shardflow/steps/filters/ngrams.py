"""Repetition statistics over word n-grams, exact and vectorized (numpy).

Gopher's repetition rules only care about n-grams that occur more than once, and an
(n+1)-gram can only repeat where the n-gram at its start and the one after it both repeat.
So :class:`NGrams` keeps, for each n, just the positions of repeated n-grams with a dense id
per distinct n-gram, and builds the next n from those candidates alone: ``id' = id * V +
next word id`` (exact, no hashing, no string joins), grouped by one sort. The candidate sets
shrink fast, so n = 2..10 cost little more than n = 1.
"""

from __future__ import annotations

import numpy as np


def _group(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a dense id per key, the count of each id): ``np.unique`` without its extras."""
    order = np.argsort(keys)
    ordered = keys[order]
    starts = np.empty(len(keys), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    group = np.cumsum(starts) - 1
    ids = np.empty(len(keys), dtype=np.int64)
    ids[order] = group
    return ids, np.bincount(group)


class NGrams:
    """The repeated n-grams of one document's words, for n = 1, 2, ... in turn.

    Args:
        word_ids: A non-negative id per word (equal words, equal ids).
        word_lengths: The length in characters of each word.
    """

    def __init__(self, word_ids: "list[int] | np.ndarray", word_lengths: "list[int] | np.ndarray") -> None:
        words = np.asarray(word_ids, dtype=np.int64)
        self._words = words
        self._span = int(words.max()) + 1 if len(words) else 1
        self._lengths = np.asarray(word_lengths, dtype=np.int64)
        self._chars = np.concatenate(([0], np.cumsum(self._lengths)))
        self.n = 1
        ids, counts = _group(words) if len(words) else (words, words)
        self._keep(np.arange(len(words)), ids, counts)

    def _keep(self, positions: np.ndarray, ids: np.ndarray, counts: np.ndarray) -> None:
        repeated = counts[ids] > 1
        self.positions = positions[repeated]  # ascending start of every repeated n-gram
        self.ids = ids[repeated]  # its n-gram id
        self.counts = counts  # occurrences, by id

    @property
    def total(self) -> int:
        """How many n-grams the document has."""
        return max(len(self._words) - self.n + 1, 0)

    def advance(self) -> None:
        """Move from the n-grams to the (n+1)-grams."""
        n = self.n
        self.n += 1
        positions = self.positions
        # The (n+1)-gram at p repeats only if the n-grams at p and p + 1 both do.
        candidate = np.flatnonzero(positions[1:] == positions[:-1] + 1)
        if not len(candidate):
            self._keep(candidate, candidate, candidate)
            return
        starts = positions[candidate]
        keys = self.ids[candidate] * self._span + self._words[starts + n]
        ids, counts = _group(keys)
        self._keep(starts, ids, counts)

    def chars(self, start: np.ndarray | int) -> np.ndarray | int:
        """Characters of the words of the n-gram(s) at ``start``, without separators."""
        return self._chars[start + self.n] - self._chars[start]

    def top_chars(self) -> int:
        """``len(" ".join(g)) * count`` for the most frequent n-gram g (the first, on ties).

        This is datatrove's ``find_top_duplicate``: ``Counter.most_common(1)`` returns the
        first-inserted (first-occurring) of the most frequent n-grams.
        """
        if not self.total:
            return 0
        if not len(self.positions):  # every n-gram occurs once: the first one wins
            return int(self.chars(0)) + self.n - 1
        occurrences = self.counts[self.ids]
        best = int(occurrences.max())
        start = int(self.positions[int(np.argmax(occurrences == best))])
        return (int(self.chars(start)) + self.n - 1) * best

    def duplicate_chars(self) -> int:
        """datatrove's ``find_all_duplicate``: characters of repeated n-grams, greedily.

        Scanning left to right, an n-gram seen before counts its characters and the scan
        jumps past it; otherwise it is remembered. Only n-grams that occur more than once can
        ever count, so the loop visits just those positions.
        """
        seen: set[int] = set()
        total = 0
        next_free = 0
        n = self.n
        positions = self.positions.tolist()
        for pos, gram, size in zip(positions, self.ids.tolist(), self.chars(self.positions).tolist()):
            if pos < next_free:
                continue
            if gram in seen:
                total += size
                next_free = pos + n
            else:
                seen.add(gram)
                next_free = pos + 1
        return total

    def covered_chars(self) -> int:
        """Characters of the words lying inside some repeated n-gram.

        A bound on :meth:`duplicate_chars` for this n and every larger one: a repeated
        (n+k)-gram is made of repeated n-grams, so what it covers is covered already.
        """
        if not len(self.positions):
            return 0
        size = len(self._words) + 1
        depth = np.cumsum(np.bincount(self.positions, minlength=size) - np.bincount(self.positions + self.n, minlength=size))
        return int(self._lengths[depth[:-1] > 0].sum())

    def any_repeated(self) -> bool:
        """Whether some n-gram occurs twice (if not, no longer one does either)."""
        return bool(len(self.positions))
