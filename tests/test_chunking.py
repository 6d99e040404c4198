from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import TokenLimit, chunk_text, sentence_spans, tiktoken_limit
from index.cleaning import clean_text
from index.embeddings import OnnxInt8Encoder
from index.loaders import expand_paths, iter_articles
from tests.conftest import SEEDS


def word_limit(limit: int) -> TokenLimit:
    return TokenLimit("words", lambda texts: [len(t.split()) for t in texts], limit)


def test_sentences_respect_abbreviations_and_quotes() -> None:
    text = "Mr. Lee met U.S. officials. “We talk,” he said. Then he left!\n\nNew paragraph here"
    pieces = [text[s:e] for s, e in sentence_spans(text)]
    assert pieces == ["Mr. Lee met U.S. officials.", "“We talk,” he said.", "Then he left!", "New paragraph here"]


def test_seed_chunks_fit_both_tokenizers_and_offsets_are_exact(encoder: OnnxInt8Encoder) -> None:
    limits = (tiktoken_limit(256), TokenLimit("minilm", encoder.count_tokens, encoder.max_tokens))
    for article in iter_articles(expand_paths([SEEDS]), max_bytes=10**7):
        cleaned = clean_text(article.text)
        chunks = chunk_text(article.id, cleaned, limits, overlap_tokens=32)
        assert len(chunks) >= 2
        for chunk in chunks:
            assert cleaned[chunk.start : chunk.end] == chunk.text
            assert limits[0].count([chunk.text])[0] <= 256
            assert encoder.count_tokens([chunk.text])[0] <= encoder.max_tokens  # nothing lost to truncation
        # consecutive chunks overlap, and together they cover every sentence
        assert all(b.start < a.end for a, b in pairwise(chunks))
        covered = {i for c in chunks for i in range(c.start, c.end)}
        assert all(i in covered for s, e in sentence_spans(cleaned) for i in range(s, e))


def test_chunk_ids_are_stable_and_depend_on_article_and_text() -> None:
    text = "One sentence here. Another sentence there. A third one follows."
    first = chunk_text("a", text, (word_limit(5),), 0)
    again = chunk_text("a", text, (word_limit(5),), 0)
    other = chunk_text("b", text, (word_limit(5),), 0)
    assert [c.id for c in first] == [c.id for c in again]
    assert {c.id for c in first}.isdisjoint(c.id for c in other)


def test_a_sentence_longer_than_the_budget_is_cut_at_words() -> None:
    text = " ".join(f"w{i}" for i in range(25)) + "."
    chunks = chunk_text("a", text, (word_limit(10),), 0)
    assert [len(c.text.split()) for c in chunks] == [10, 10, 5]
    assert all(text[c.start : c.end] == c.text for c in chunks)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet="abcdefgh ", min_size=1, max_size=60).map(lambda s: s.strip().capitalize() + "."),
        min_size=1,
        max_size=30,
    ),
    st.integers(min_value=3, max_value=40),
    st.integers(min_value=0, max_value=10),
)
def test_chunking_invariants(sentences: list[str], budget: int, overlap: int) -> None:
    text = " ".join(s for s in sentences if s != ".")
    chunks = chunk_text("a", text, (word_limit(budget),), overlap)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text.split()) <= budget
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(a.start < b.start for a, b in pairwise(chunks))  # always progresses
    words_in_text = {m for m in range(len(text)) if not text[m].isspace()}
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert words_in_text <= covered


def test_a_line_without_breaks_is_cut_at_the_character_cap() -> None:
    # one "word" of 1 MB: a word counter sees 1 token, so only the character cap can cut it
    text = "".join(chr(97 + (i * 7919) % 26) for i in range(1_048_576))
    chunks = chunk_text("a", text, (word_limit(256),), 32, max_chars=2048)
    assert max(len(c.text) for c in chunks) == 2048
    assert "".join(c.text for c in chunks) == text  # cut, nothing dropped or repeated
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_a_line_without_breaks_fits_the_token_budget_too() -> None:
    text = "".join(chr(97 + (i * 7919) % 26) for i in range(200_000))
    limit = tiktoken_limit(256)
    chunks = chunk_text("a", text, (limit,), 32, max_chars=2048)
    assert len(chunks) > 1
    assert max(len(c.text) for c in chunks) <= 2048
    assert max(limit.count([c.text for c in chunks])) <= 256
    assert "".join(c.text for c in chunks) == text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="abc .", min_size=1, max_size=400), min_size=1, max_size=8),
    st.integers(min_value=16, max_value=200),
)
def test_no_chunk_is_longer_than_the_character_cap(lines: list[str], cap: int) -> None:
    text = "\n\n".join(line for line in lines if line.strip())
    chunks = chunk_text("a", text, (word_limit(40),), 4, max_chars=cap)
    assert all(len(c.text) <= cap and text[c.start : c.end] == c.text for c in chunks)
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert {i for i, ch in enumerate(text) if not ch.isspace()} <= covered
