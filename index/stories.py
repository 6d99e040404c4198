"""One story, told once: near-duplicate articles (a wire story in several outlets, a page saved twice) grouped at ingest.

Each article's cleaned text becomes a MinHash of its word shingles (datasketch); an LSH index over the indexed
articles' MinHashes finds the articles whose estimated Jaccard similarity reaches the threshold. A new article joins
the group of its most similar indexed article, else starts its own. A group is named by its first article's id and
never renamed, so the ids stored on earlier articles' chunks stay true as later ones join. The LSH index is rebuilt
at each ingest from the signatures stored with the article records, so it always matches what is indexed (a pruned
article's signature goes with its record; a Chroma server's clients all see the same ones).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash, MinHashLSH

PERMUTATIONS = 128
SHINGLE_WORDS = 5  # word 5-grams: wire copies share most; two articles on one topic share few
SCHEME = "affine32"  # datasketch 2.0's default: 32-bit hash values, four bytes each in a stored signature
WORD = re.compile(r"\w+")
MIN_WORDS = 150
NO_SIGNATURE = "-"  # stored for an article too short to group, so that no later ingest computes it again
PASSAGE_SHINGLE_WORDS = 3
SAME_PASSAGE = 0.5  # two chunks of one story whose word-trigram Jaccard reaches this say the same thing


def _shingles(text: str, size: int) -> set[str]:
    words = WORD.findall(text.lower())
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


@cache
def _permutations() -> Any:
    """The permutations every MinHash here shares (datasketch draws them anew for each MinHash it makes: 0.18 ms, a
    decoded signature's whole cost, for each indexed article at every ingest)."""
    from datasketch import MinHash

    return MinHash(num_perm=PERMUTATIONS, scheme=SCHEME).permutations


@cache
def _lsh_bands(threshold: float) -> tuple[int, int]:
    """datasketch's (bands, rows) for the threshold, which it finds by numeric integration at every new index (15 ms)."""
    from datasketch import MinHashLSH

    found = MinHashLSH(threshold=threshold, num_perm=PERMUTATIONS)
    return found.b, found.r


def minhash(text: str) -> MinHash | None:
    """The MinHash of an article's cleaned text; None for a text under MIN_WORDS words, which is too short to tell
    one story from another's boilerplate (on RealTime QA, every wrong grouping of identical texts was a page of
    41-120 words: a site's ad-feedback form, the same intro over each part of a series)."""
    from datasketch import MinHash

    if len(WORD.findall(text)) < MIN_WORDS:
        return None
    sketch = MinHash(num_perm=PERMUTATIONS, scheme=SCHEME, permutations=_permutations())
    sketch.update_batch([s.encode("utf-8") for s in _shingles(text, SHINGLE_WORDS)])
    return sketch


def encode_signature(sketch: MinHash) -> str:
    """The MinHash as text, to store in an article record's metadata (Chroma holds strings, not arrays)."""
    return base64.b64encode(np.asarray(sketch.hashvalues, dtype="<u4").tobytes()).decode("ascii")


def decode_signature(signature: str) -> MinHash | None:
    """The stored MinHash, or None for a record without one (indexed before grouping) or a damaged one."""
    from datasketch import MinHash

    try:
        values = np.frombuffer(base64.b64decode(signature, validate=True), dtype="<u4")
    except ValueError:
        return None
    if len(values) != PERMUTATIONS:
        return None
    return MinHash(hashvalues=values, scheme=SCHEME, permutations=_permutations())


class StoryGrouper:
    """The indexed articles' MinHashes in an LSH index; `assign` names the story group of one more article."""

    def __init__(self, threshold: float) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self.lsh: MinHashLSH = MinHashLSH(threshold=threshold, num_perm=PERMUTATIONS, params=_lsh_bands(threshold))
        self.sketches: dict[str, MinHash] = {}
        self.groups: dict[str, str] = {}  # article id → its story group id

    def add(self, article_id: str, sketch: MinHash, group: str) -> None:
        if article_id in self.sketches:
            self.remove(article_id)
        self.lsh.insert(article_id, sketch)
        self.sketches[article_id] = sketch
        self.groups[article_id] = group

    def remove(self, article_id: str) -> None:
        if article_id in self.sketches:
            self.lsh.remove(article_id)
            del self.sketches[article_id]
            del self.groups[article_id]

    def assign(self, article_id: str, sketch: MinHash) -> str:
        """The article's story group: that of its most similar indexed article at or above the threshold (LSH finds
        candidates; their estimated Jaccard decides), else "" (a story of its own). The article is added either way,
        so the next article of the same run can join it."""
        self.remove(article_id)  # its own older text is no evidence of a duplicate
        best, best_similarity = "", self.threshold
        for other in self.lsh.query(sketch):
            similarity = sketch.jaccard(self.sketches[other])
            if similarity > best_similarity or (similarity == best_similarity and not best):
                best, best_similarity = other, similarity
        group = self.groups[best] if best else article_id
        self.add(article_id, sketch, group)
        return "" if group == article_id else group  # "": the article is its own story's first

    @classmethod
    def from_signatures(cls, records: Iterable[tuple[str, str, str]], threshold: float) -> StoryGrouper:
        """From (article id, story group, stored signature) of the indexed articles; those without a signature are
        left out (the caller computes theirs from their stored text)."""
        grouper = cls(threshold)
        for article_id, group, signature in records:
            sketch = decode_signature(signature)
            if sketch is not None:
                grouper.add(article_id, sketch, group or article_id)
        return grouper


def same_passage(first: str, second: str) -> bool:
    """Do two chunks (of one story group) say the same thing? Their word-trigram sets overlap by SAME_PASSAGE or more:
    outlets cut a wire story into different chunks and edit a word here and there."""
    a, b = _shingles(first, PASSAGE_SHINGLE_WORDS), _shingles(second, PASSAGE_SHINGLE_WORDS)
    return bool(a and b) and len(a & b) / len(a | b) >= SAME_PASSAGE
