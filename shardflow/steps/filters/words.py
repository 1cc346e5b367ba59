"""English words exactly as datatrove 0.10.1 counts them, fast: a cached lexicon.

datatrove's quality filters count words with ``split_into_words(text, "eng")`` (spaCy's
English tokenizer, reproduced in :mod:`.spacy_english`) and C4's sentences with spaCy's
sentencizer. Every ratio of the Gopher, FineWeb and C4 heuristics depends on those counts.

Text is split on whitespace in C; each distinct chunk is tokenized once per process and
numbered, and what the filters need of it (token ids, counts of words, of non-symbol words
and their characters, of words with a letter) lives in flat arrays by chunk number. The
filters read a whole batch at once (:meth:`EnglishWords.read_batch`: Arrow splits the texts
and hashes the chunks, Python looks up each distinct chunk of the batch once, and learns the
new ones with whole-list operations); a document is then a slice of chunk numbers and a few
numpy gathers, with no per-word Python.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from functools import lru_cache
from itertools import chain, filterfalse, islice, repeat
from operator import mul
from typing import Iterable, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shardflow.steps.filters.spacy_english import SpacyEnglish

# datatrove.utils.text.PUNCTUATION: a word made only of these is a "symbol" for Gopher.
_PUNCTUATION = "!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»" + "".join(
    map(chr, (x for a, b in ((0, 9), (11, 13), (13, 32), (127, 160)) for x in range(a, b)))
)
# datatrove.utils.text.TERMINAL_PUNCTUATION, used by FineWeb's line_punct_ratio.
TERMINAL_PUNCTUATION = frozenset(
    "᪩？⁈𑩂．꩞𑅃﹗𑂾\u1b7d፧𑅂꡶꘎⁉࠾᪨𑊩𑱂᱿𖩮᥅\U00011f43\U00011f44﹒𑈹𑈸።܂؞꛳\U00010f88𑗍𐩖𑙂\u061d꩟᠉"
    "\u1b7e𑗗᰼𑻸؟𑪜꧉𑗉𐽙𖫵𖬷܀꓿᜵𑗏𑁇𑗓𑥄៖𑥆𑗑𑗒꯫۔𐩗\U00010f86꡷\u2e54｡៕߹⸮.𑇅࠹𛲟꫰꤯𐽗᭞𑜼፨𑃁꣏𑇟𖬸𑪛𑜾"
    "࠷𝪈?𑃀𑗃！։꣎॥𑗖᭛᠃!၊𖺘⁇𑗌𑑋𖭄᭟𑅁𑙁⸼꩝𑗋。꧈꫱𑜽𐽖𑂿᙮។꛷\U00010f89៚᥄𑗕𑗎᪪᭚࠽𑇞𑗊𐽘\u2e53𑗔"
    "𖩯𑇍𑻷𐽕𑩃।𑗂𑇆𑁈။᱾𑱁꘏܁᜶‼𑈻‽᪫﹖𑑌𑈼\U00010f87𑗐៙᰻"
)
PUNCTUATION_SET = frozenset(_PUNCTUATION) | TERMINAL_PUNCTUATION
_HAS_NON_PUNCTUATION = re.compile("[^" + "".join(map(re.escape, sorted(PUNCTUATION_SET))) + "]")
# Letters, and a few numeric symbols (such as "²") that str.isalpha() then rules out.
_MAYBE_ALPHA = re.compile(r"[^\W\d_]")
_WHITESPACE_RUNS = re.compile(r"(\s+)")

# Past this many distinct chunks (about 250 bytes each with their tokens: ~60 MB), the
# lexicon keeps only the first _KEPT_CHUNKS learned and starts again.
_MAX_CHUNKS = 250_000
_KEPT_CHUNKS = 50_000
# Up to this many new chunks at once (C4 counting one line's sentences), a plain loop is
# cheaper than setting up the whole-list operations of a batch.
_FEW_CHUNKS = 8


class WordCounts(NamedTuple):
    """Counts over a text's words.

    Attributes:
        words: Tokens, as ``len(split_into_words(text))``.
        non_symbol: Tokens with a character outside datatrove's punctuation (Gopher's words).
        non_symbol_chars: Total length of those.
        alpha: Tokens with an alphabetic character.
    """

    words: int
    non_symbol: int
    non_symbol_chars: int
    alpha: int


def _view(column: array) -> np.ndarray:
    # A zero-copy numpy view; callers only index it (a copy), so no view outlives the call
    # (an array cannot grow while one exists).
    return np.frombuffer(column, dtype=np.int64)


class EnglishWords:
    """Words, word ids, word counts and sentences of English text, as datatrove counts them.

    Use :func:`english_words` for the process-wide instance, whose cache all filters share.
    """

    def __init__(self) -> None:
        self.tokenizer = SpacyEnglish()
        self._chunks: dict[str, int] = {}  # chunk -> its number in the arrays below
        self._start = array("q")  # where its token ids start in _flat
        self._size = array("q")  # how many tokens it has
        self._nonsym = array("q")  # tokens with a non-punctuation character
        self._nonsym_chars = array("q")  # their characters
        self._alpha = array("q")  # tokens with a letter
        self._flat = array("q")  # the token ids of every chunk, one after the other
        self._tokens: dict[str, int] = {}  # token -> id
        self._token_text: list[str] = []  # by id
        self._token_len = array("q")
        self._token_nonsym = array("q")  # 1 if it has a non-punctuation character
        self._token_nonsym_chars = array("q")  # its length if so, else 0
        self._token_alpha = array("q")  # 1 if it has a letter
        self._sentences: dict[str, tuple[int, bool, int, bool]] = {}
        self._last: tuple = (None, np.zeros(0, dtype=np.int64))
        self._generation = 0  # how many times the lexicon started again (numbers changed)
        self._batch: dict[str, int] = {}  # text of the batch read last -> its row
        self._batch_numbers = np.zeros(0, dtype=np.int64)  # the chunk numbers of its texts
        self._batch_ends = np.zeros(0, dtype=np.int64)  # where each text's numbers end

    # -- reading a text -----------------------------------------------------------------------
    def chunk_numbers(self, chunks: list[str]) -> np.ndarray:
        """The numbers of ``chunks`` (learning those not seen yet), as an int64 array."""
        try:
            return np.array(list(map(self._chunks.__getitem__, chunks)), dtype=np.int64)
        except KeyError:
            self._learn(chunks)
            return np.array(list(map(self._chunks.__getitem__, chunks)), dtype=np.int64)

    def read_batch(self, texts: list[str], column: pa.Array | pa.ChunkedArray) -> None:
        """Split and number the texts of a batch at once, for the reads of them that follow.

        A filter calls this with a batch's texts (and the Arrow column they came from) before
        judging them one by one; the numbers are kept until the next batch, so that each
        filter of a chain finds them. Arrow splits the column on the whitespace ``str.split``
        splits on (checked over every code point by the tests) and hashes the chunks in C++:
        Python looks up each distinct chunk of the batch once, not every chunk of every text.
        Texts of the batch read last (the rows an earlier filter of the chain kept) are not
        read again.
        """
        if self._batch and all(map(self._batch.__contains__, texts)):
            return
        self._batch = {}
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_null(column.type):  # a batch where every text is missing
            column = column.cast(pa.string())
        if column.null_count:
            column = pc.fill_null(column, "")  # as TextFilter.texts reads a missing text
        lists = pc.utf8_split_whitespace(column)
        sizes = pc.list_value_length(lists).to_numpy(zero_copy_only=False).astype(np.int64)
        encoded = pc.dictionary_encode(pc.list_flatten(lists))
        distinct = encoded.dictionary.to_pylist()
        numbers = self._numbers_or_empty(distinct)[encoded.indices.to_numpy(zero_copy_only=False)]
        empty = numbers < 0  # Arrow leaves "" before leading and after trailing whitespace
        if empty.any():
            sizes -= np.bincount(np.repeat(np.arange(len(sizes)), sizes)[empty], minlength=len(sizes))
            numbers = numbers[~empty]
        self._batch_numbers = numbers
        self._batch_ends = np.cumsum(sizes)
        self._batch = dict(zip(texts, range(len(texts))))

    def _numbers_or_empty(self, distinct: list[str]) -> np.ndarray:
        """The number of each of ``distinct`` chunks (learning new ones), -1 for ""."""
        numbers = np.fromiter(map(self._chunks.get, distinct, repeat(-1)), dtype=np.int64, count=len(distinct))
        unknown = np.flatnonzero(numbers < 0).tolist()
        new = [distinct[i] for i in unknown if distinct[i]]
        if new:
            first, generation = len(self._size), self._generation
            self._learn(new)
            if self._generation == generation:  # numbered after the others, in this order
                numbers[[i for i in unknown if distinct[i]]] = np.arange(first, first + len(new))
            else:  # the lexicon started again: the chunks it dropped are new again
                self._learn(list(filter(None, distinct)), restart=False)
                numbers = np.fromiter(map(self._chunks.get, distinct, repeat(-1)), dtype=np.int64, count=len(distinct))
        return numbers

    def _read(self, text: str) -> np.ndarray:
        """The chunk numbers of ``text``: from the batch read last, else split and looked up
        (the last such text is remembered: consecutive filters read the same document)."""
        i = self._batch.get(text)
        if i is not None:
            return self._batch_numbers[int(self._batch_ends[i - 1]) if i else 0 : int(self._batch_ends[i])]
        if text == self._last[0]:
            return self._last[1]
        numbers = self.chunk_numbers(text.split())
        self._last = (text, numbers)
        return numbers

    def counts(self, text: str) -> WordCounts:
        """The word counts of ``text``, without listing its words."""
        numbers = self._read(text)
        columns = (self._size, self._nonsym, self._nonsym_chars, self._alpha)
        return WordCounts(*(int(_view(column)[numbers].sum()) for column in columns))

    def has_chunks(self, text: str, chunks: Iterable[str]) -> list[str]:
        """Those of ``chunks`` that ``text`` has as a whole whitespace-separated chunk."""
        present = set(self._read(text).tolist())  # first: reading may learn chunks
        numbers = {c: self._chunks.get(c) for c in chunks}
        return [c for c, n in numbers.items() if n is not None and n in present]

    def word_ids(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(an id per word, the length of each word) of ``text``, as int64 arrays."""
        numbers = self._read(text)
        starts, sizes = _view(self._start)[numbers], _view(self._size)[numbers]
        ends = np.cumsum(sizes)
        # Chunk c's ids are _flat[start[c] : start[c] + size[c]]: gather them all at once.
        gather = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) + np.repeat(starts - ends + sizes, sizes)
        ids = _view(self._flat)[gather]
        return ids, _view(self._token_len)[ids]

    def words(self, text: str) -> list[str]:
        """The words of ``text``: datatrove's ``split_into_words(text, "eng")``."""
        return list(map(self._token_text.__getitem__, self.word_ids(text)[0].tolist()))

    def chunk(self, chunk: str) -> tuple[str, ...]:
        """The tokens of one whitespace-free chunk."""
        number = int(self.chunk_numbers([chunk])[0])
        start = self._start[number]
        return tuple(self._token_text[i] for i in self._flat[start : start + self._size[number]])

    # -- learning chunks ----------------------------------------------------------------------
    def _learn(self, chunks: Iterable[str], restart: bool = True) -> None:
        """Tokenize and number the chunks not seen before (when full and ``restart``, start
        again from the first ones learned)."""
        if restart and len(self._chunks) > _MAX_CHUNKS:
            # The chunks learned first are the frequent ones (Zipf): keep those.
            head = list(islice(self._chunks, _KEPT_CHUNKS))
            self.clear()
            self._learn(head)
        new = list(dict.fromkeys(filterfalse(self._chunks.__contains__, chunks)))  # in their order
        if len(new) <= _FEW_CHUNKS:
            for chunk in new:
                self._learn_one(chunk)
            return
        # Whole-list operations from here on (in C): a first pass over a corpus learns
        # hundreds of thousands of chunks, and a Python loop per chunk is what it costs.
        token_lists = self.tokenizer.tokenize_many(new)
        sizes = list(map(len, token_lists))  # at least one token per (non-empty) chunk
        tokens = list(chain.from_iterable(token_lists))
        unseen = list(dict.fromkeys(filterfalse(self._tokens.__contains__, tokens)))
        if unseen:
            self._register(unseen)
        ids = np.fromiter(map(self._tokens.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        first = len(self._size)
        self._chunks.update(zip(new, range(first, first + len(new))))
        counts = np.array(sizes, dtype=np.int64)
        starts = np.cumsum(counts) - counts  # where each chunk's tokens start among `ids`
        for column, per_token in ((self._nonsym, self._token_nonsym), (self._nonsym_chars, self._token_nonsym_chars),
                                  (self._alpha, self._token_alpha)):
            column.frombytes(np.add.reduceat(_view(per_token)[ids], starts).tobytes())
        starts += len(self._flat)
        self._start.frombytes(starts.tobytes())
        self._size.extend(sizes)
        self._flat.frombytes(ids.tobytes())

    def _learn_one(self, chunk: str) -> None:
        """:meth:`_learn` for one chunk, without the set-up of whole-list operations."""
        tokens = self.tokenizer(chunk)
        unseen = [t for t in dict.fromkeys(tokens) if t not in self._tokens]
        if unseen:
            self._register(unseen)
        ids = list(map(self._tokens.__getitem__, tokens))
        self._chunks[chunk] = len(self._size)
        self._start.append(len(self._flat))
        self._size.append(len(ids))
        self._flat.extend(ids)
        self._nonsym.append(sum(map(self._token_nonsym.__getitem__, ids)))
        self._nonsym_chars.append(sum(map(self._token_nonsym_chars.__getitem__, ids)))
        self._alpha.append(sum(map(self._token_alpha.__getitem__, ids)))

    def _register(self, unseen: list[str]) -> None:
        """Give each new token an id and record what the filters count of it."""
        first = len(self._token_text)
        self._tokens.update(zip(unseen, range(first, first + len(unseen))))
        self._token_text.extend(unseen)
        lengths = list(map(len, unseen))
        self._token_len.extend(lengths)
        letters = list(map(str.isalpha, unseen))  # letters only: a word, with a letter
        non_punct, maybe_alpha, isalpha = _HAS_NON_PUNCTUATION.search, _MAYBE_ALPHA.search, str.isalpha
        nonsym = [1 if a or non_punct(t) else 0 for t, a in zip(unseen, letters)]
        self._token_nonsym.extend(nonsym)
        self._token_nonsym_chars.extend(map(mul, nonsym, lengths))
        alpha = [1 if a or (maybe_alpha(t) and any(map(isalpha, t))) else 0 for t, a in zip(unseen, letters)]
        self._token_alpha.extend(alpha)

    def clear(self) -> None:
        """Forget every chunk and token (between documents only: numbers are reused)."""
        for table in (self._chunks, self._tokens, self._sentences):
            table.clear()
        self._token_text.clear()
        self._last = (None, np.zeros(0, dtype=np.int64))
        self._batch = {}
        self._generation += 1
        for column in (self._start, self._size, self._nonsym, self._nonsym_chars, self._alpha, self._flat,
                       self._token_len, self._token_nonsym, self._token_nonsym_chars, self._token_alpha):
            del column[:]
        self.tokenizer.forget()

    # -- sentences (spaCy's Sentencizer, as datatrove's split_into_sentences) -------------------
    def count_sentences(self, line: str) -> int:
        """Sentences spaCy's sentencizer finds in ``line`` (a stripped line).

        A sentence starts at a token that is not punctuation after a token that is one of
        the sentencizer's ``punct_chars``. Whitespace runs other than a single space are
        tokens too, and count as "not punctuation".
        """
        count = 1
        seen = False
        for k, part in enumerate(_WHITESPACE_RUNS.split(line)):
            if k % 2:  # a whitespace run between chunks
                if part != " " and seen:
                    count += 1
                    seen = False
                continue
            if not part:
                continue
            summary = self._sentences.get(part)
            if summary is None:
                summary = self._sentences[part] = self._sentence_summary(self.chunk(part))
            starts, seen = (summary[2], summary[3]) if seen else (summary[0], summary[1])
            count += starts
        return count

    def _sentence_summary(self, toks: Iterable[str]) -> tuple[int, bool, int, bool]:
        """(starts, pending after) for a chunk entered without, then with, a pending period."""
        out: list = []
        punct = self.tokenizer.sentence_punct
        for seen in (False, True):
            starts = 0
            for tok in toks:
                in_punct = tok in punct
                if seen and not in_punct and not _is_punct(tok):
                    starts += 1
                    seen = False
                elif in_punct:
                    seen = True
            out += [starts, seen]
        return tuple(out)  # type: ignore[return-value]


def _is_punct(text: str) -> bool:
    # spacy.lang.lex_attrs.is_punct
    return all(unicodedata.category(ch).startswith("P") for ch in text)


class ReadsWordsByBatch:
    """Mixin for a :class:`~shardflow.steps.filters.base.TextFilter` that counts words: the
    texts of each batch are split and numbered at once (:meth:`EnglishWords.read_batch`)
    before ``judge`` reads them one by one."""

    def texts(self, batch: pa.Table) -> list[str]:
        texts = super().texts(batch)  # type: ignore[misc]
        english_words().read_batch(texts, self.column(batch, self.text_column, "text_column"))  # type: ignore[attr-defined]
        return texts


@lru_cache(maxsize=1)
def english_words() -> EnglishWords:
    """The process-wide :class:`EnglishWords` (its cache is shared by all filters)."""
    return EnglishWords()


__all__ = ["EnglishWords", "ReadsWordsByBatch", "WordCounts", "english_words", "PUNCTUATION_SET", "TERMINAL_PUNCTUATION"]
