"""Multilingual prose from Debian's translated man pages, for the language-id comparison.

Debian ships the same man pages translated into many languages (``manpages-de``,
``manpages-fr``, ...). This module fetches those packages with ``apt-get download`` (into
``bench/data/manpages/``, git-ignored), strips the roff markup with a small converter (no
groff needed), and cuts the text into paragraphs of prose. Each language's label is the
package's language: the truth comes from the translators, not from any detector.

Two kinds of sample per language: ``paragraph`` (a whole paragraph, 100-600 characters) and
``short`` (its first sentence, 20-80 characters).

Label noise, said plainly: po4a keeps a paragraph in English when it has no translation. A
paragraph that also occurs in the English ``manpages`` package is dropped, which removes most
of that noise, but not all (pages whose English original is in another package).

Usage: ``python bench/manpage_text.py`` prints how many samples each language has.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import subprocess
from pathlib import Path

DATA = Path(__file__).parent / "data" / "manpages"

# package suffix -> ISO 639-1 label ("manpages" alone is English)
LANGUAGES = {
    "": "en", "cs": "cs", "da": "da", "de": "de", "el": "el", "es": "es", "fi": "fi",
    "fr": "fr", "hu": "hu", "id": "id", "it": "it", "ja": "ja", "mk": "mk", "nb": "nb",
    "nl": "nl", "pl": "pl", "pt-br": "pt", "ro": "ro", "ru": "ru", "sr": "sr", "sv": "sv",
    "tr": "tr", "uk": "uk", "vi": "vi", "zh": "zh",
}

# Macros whose arguments are running text (font changes); every other macro ends a paragraph.
_INLINE = {".B", ".I", ".BR", ".RB", ".IR", ".RI", ".BI", ".IB", ".SM", ".SB"}
_ESCAPES = [
    (re.compile(r"\\f(\[[^\]]*\]|\(..|.)"), ""),  # font changes
    (re.compile(r"\\\*(\[[^\]]*\]|\(..|.)"), ""),  # strings
    (re.compile(r"\\\((em|en)"), "—"),
    (re.compile(r"\\\((aq|cq)"), "'"),
    (re.compile(r"\\\((lq|rq|dq)"), '"'),
    (re.compile(r"\\\(..|\\\[[^\]]*\]"), ""),
    (re.compile(r"\\[-]"), "-"),
    (re.compile(r"\\e"), "\\\\"),
    (re.compile(r"\\[ ~0]"), " "),
    (re.compile(r"\\[&,/|^%:]"), ""),
    (re.compile(r"\\s[-+]?\d"), ""),
]
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


def package_name(suffix: str) -> str:
    return f"manpages-{suffix}" if suffix else "manpages"


def fetch(suffixes=LANGUAGES) -> None:
    """Download and unpack the man page packages that are not there yet (needs apt-get)."""
    debs = DATA / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    missing = [package_name(s) for s in suffixes if not (DATA / "x" / package_name(s)).exists()]
    if not missing:
        return
    subprocess.run(["apt-get", "download", *missing], cwd=debs, check=True)
    for name in missing:
        (deb,) = debs.glob(f"{name}_*.deb")
        target = DATA / "x" / name
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)


def _clean(line: str) -> str:
    for pattern, repl in _ESCAPES:
        line = pattern.sub(repl, line)
    return line.replace('"', " ").strip() if line.startswith(".") else line.strip()


def roff_paragraphs(source: str) -> list[str]:
    """Running-text paragraphs of one roff page, markup removed."""
    paragraphs, current = [], []
    for raw in source.splitlines():
        if raw.startswith(('.\\"', "'\\\"")):
            continue
        if raw.startswith((".", "'")):
            macro, _, args = raw.partition(" ")
            if macro in _INLINE and args:
                current.append(_clean(args.replace('"', "")))
                continue
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        text = _clean(raw)
        if text:
            current.append(text)
    if current:
        paragraphs.append(" ".join(current))
    return [re.sub(r"\s+", " ", p).strip() for p in paragraphs]


def _is_prose(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 0.6 * len(text) and " " in text or letters >= 0.6 * len(text) > 30


def package_paragraphs(name: str) -> list[str]:
    """Distinct prose paragraphs of every man page in the package, in file order."""
    seen: dict[str, None] = {}
    for page in sorted((DATA / "x" / name / "usr" / "share" / "man").rglob("*.gz")):
        try:
            source = gzip.decompress(page.read_bytes()).decode("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for p in roff_paragraphs(source):
            if 100 <= len(p) <= 600 and _is_prose(p):
                seen.setdefault(p, None)
    return list(seen)


def first_sentence(paragraph: str) -> str | None:
    sentence = _SENTENCE_END.split(paragraph, maxsplit=1)[0].strip()
    return sentence if 20 <= len(sentence) <= 80 else None


def build_samples(per_language: int = 200, seed: int = 0) -> list[dict]:
    """``[{"lang", "kind", "text"}]``: up to ``per_language`` paragraphs and short sentences."""
    cache = DATA / f"samples-{per_language}-{seed}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    fetch()
    english = set(package_paragraphs("manpages"))
    rng = random.Random(seed)
    samples = []
    for suffix, lang in LANGUAGES.items():
        paragraphs = package_paragraphs(package_name(suffix))
        if lang != "en":
            paragraphs = [p for p in paragraphs if p not in english]
        rng.shuffle(paragraphs)
        chosen = paragraphs[:per_language]
        samples += [{"lang": lang, "kind": "paragraph", "text": p} for p in chosen]
        shorts = [s for s in map(first_sentence, paragraphs) if s][:per_language]
        samples += [{"lang": lang, "kind": "short", "text": s} for s in shorts]
    cache.write_text(json.dumps(samples, ensure_ascii=False))
    return samples


if __name__ == "__main__":
    from collections import Counter

    counts = Counter((s["lang"], s["kind"]) for s in build_samples())
    for lang in sorted({k[0] for k in counts}):
        print(lang, counts[(lang, "paragraph")], counts[(lang, "short")])
