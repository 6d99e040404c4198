"""Story grouping at ingest (index/stories.py): how many near-duplicate groups a corpus holds, what grouping costs per
article, and a sample of grouped pairs to label by hand for its precision.

Every article of the corpus is cleaned as ingest cleans it, then MinHashed and assigned a story group in corpus order,
as one big ingest would. The cost printed is the grouping's alone (MinHash + LSH query + insert, per article), beside
the whole ingest's per-article time measured by benchmarks/ingest.py. `--pairs N` writes N grouped pairs (each joined
article with the article its group started from) with titles, outlets, dates and the first 300 characters, for
labelling: same story (the same report, edited or not) or not.

    .venv/bin/python benchmarks/stories.py [--corpus CORPUS.jsonl.gz] [--threshold 0.8 0.7 0.6] [--pairs 40 --out pairs.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from _common import CORPUS

from index.cleaning import clean_text
from index.loaders import iter_articles
from index.stories import StoryGrouper, minhash


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--threshold", type=float, nargs="+", default=[0.8])
    parser.add_argument("--pairs", type=int, default=0, help="grouped pairs to sample for labelling (last threshold)")
    parser.add_argument("--out", type=Path, default=Path("story-pairs.jsonl"))
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    articles = {a.id: a for a in iter_articles([args.corpus], max_bytes=64_000_000)}
    started = time.perf_counter()
    cleaned = {aid: clean_text(a.text) for aid, a in articles.items()}
    cleaning = time.perf_counter() - started
    started = time.perf_counter()
    sketches = {aid: sketch for aid, text in cleaned.items() if (sketch := minhash(text)) is not None}
    hashing = time.perf_counter() - started
    print(
        f"{len(articles)} articles; cleaning {1000 * cleaning / len(articles):.2f} ms/article (ingest does it anyway), "
        f"MinHash {1000 * hashing / len(articles):.2f} ms/article; {len(articles) - len(sketches)} too short to group"
    )
    groups: dict[str, str] = {}
    for threshold in args.threshold:
        grouper = StoryGrouper(threshold)
        started = time.perf_counter()
        groups = {aid: grouper.assign(aid, sketch) for aid, sketch in sketches.items()}
        assigning = time.perf_counter() - started
        joined = sum(1 for g in groups.values() if g)
        stories = len({g or aid for aid, g in groups.items()})
        print(
            f"threshold {threshold}: {joined} articles joined an earlier one's story ({stories} stories for "
            f"{len(groups)} articles); LSH {1000 * assigning / len(groups):.3f} ms/article; "
            f"grouping in all {1000 * (hashing + assigning) / len(groups):.2f} ms/article"
        )
    if args.pairs:
        pairs = sorted((aid, g) for aid, g in groups.items() if g)
        chosen = random.Random(args.seed).sample(pairs, min(args.pairs, len(pairs)))
        with args.out.open("w") as out:
            for joined_id, first_id in chosen:
                row = {"similarity": round(sketches[joined_id].jaccard(sketches[first_id]), 3)}
                for role, aid in (("first", first_id), ("joined", joined_id)):
                    meta = articles[aid].meta
                    row[role] = {
                        "id": aid,
                        "title": meta.title,
                        "source": meta.source,
                        "published": meta.published,
                        "lead": " ".join(cleaned[aid][:300].split()),
                    }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{len(chosen)} grouped pairs for labelling in {args.out}")


if __name__ == "__main__":
    main()
