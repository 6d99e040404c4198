"""Issue 16: does MiniLM fine-tuned on some months' questions rank the answer passage higher on other months?

    flock /tmp/heavy.lock .venv/bin/python benchmarks/finetune_encoder.py [--train 2024-01,2024-02,2024-03] [--test 2024-04]
        [--epochs 2] [--positives 0] [--lora-rank 0] [--dense-weights 1,1.5,2] [--limit N]

The RealTime QA data is ../shared/data/realtimeqa-2024h1 (or $RTQA_DIR). Each month set becomes an eval slice
with the eval harness's own index (built when missing, shared with `assistant eval`). For every answerable question,
as of its quiz date, the shipped retrieval gives the candidates: its dense top 400 and its BM25 top 120
(`Assistant.retrieve`, modes dense and keyword). Training pairs are each training question
with the candidates that hold an accepted answer (the best `--positives` by rank in either list; 0: all of them),
learnt against the batch's other chunks (MultipleNegativesRankingLoss, written out: sentence-transformers' trainer
needs `datasets`, which is not installed). `--lora-rank R` trains a rank-R update of the attention projections only
(what a small file could ship) instead of every weight.

Printed: the test questions' answer recall @1/5/10 (a passage holds an accepted answer) for dense alone, BM25 alone and
their RRF fusion (k 60, 30 from each side, the dense side weighted by each of `--dense-weights`), for the shipped int8
lists as retrieved, the packaged fp32 weights and the tuned ones, the last two re-ranking the same candidates (a chunk
outside them cannot be reached; the fusion leaves out retrieval's date preference). Nothing is written to the
repository and the tuned weights are not kept.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from dataclasses import dataclass

import numpy as np
from _common import DATA, WORK

from assistant import Assistant, Settings
from eval.datasets import GoldItem, load_set
from eval.fit_evidence import open_index
from eval.metrics import holds_answer
from eval.slices import month_slice
from index.embeddings import minilm_dir

DENSE_DEPTH, KEYWORD_DEPTH, FUSED_DEPTH, RRF_K = 400, 120, 30, 60
KS = (1, 5, 10)
SCALE = 20.0  # the in-batch softmax's inverse temperature (sentence-transformers' default for this loss)


@dataclass
class Candidates:
    item: GoldItem
    searched: str  # the question as retrieval searches it (time words out)
    dense: list[str]  # chunk ids, shipped dense order
    keyword: list[str]  # chunk ids, BM25 order
    gold: set[str]  # candidates that hold an accepted answer


def gather(months: str, limit: int | None) -> tuple[list[Candidates], dict[str, str]]:
    base = Settings(llm="extractive")
    made = month_slice(DATA, WORK / "slices", months)
    bot: Assistant = open_index([made.corpus], base)
    items = [i for i in load_set(made.questions) if i.answerable and i.answers][:limit]
    texts: dict[str, str] = {}
    out = []
    for item in items:
        as_of = item.date or None
        dense = bot.retrieve(item.question, k=DENSE_DEPTH, mode="dense", as_of=as_of)
        keyword = bot.retrieve(item.question, k=KEYWORD_DEPTH, mode="keyword", as_of=as_of)
        for p in dense + keyword:
            texts[p.chunk.id] = p.text
        gold = {p.chunk.id for p in dense + keyword if holds_answer(p.text, item.answers)}
        searched = bot.searched_question(item.question).text
        out.append(Candidates(item, searched, [p.chunk.id for p in dense], [p.chunk.id for p in keyword], gold))
    print(f"{months}: {len(out)} answerable questions, {len(texts)} candidate chunks", flush=True)
    return out, texts


def recall(cases: list[Candidates], rankings: list[list[str]]) -> str:
    hits = {k: 0 for k in KS}
    for case, ranked in zip(cases, rankings, strict=True):
        first = next((i for i, c in enumerate(ranked[: max(KS)]) if c in case.gold), None)
        for k in KS:
            hits[k] += first is not None and first < k
    return " / ".join(f"{hits[k] / len(cases):.3f}" for k in KS)


def fused(dense: list[str], keyword: list[str], dense_weight: float) -> list[str]:
    scores: dict[str, float] = {}
    for weight, ranking in ((dense_weight, dense[:FUSED_DEPTH]), (1.0, keyword[:FUSED_DEPTH])):
        for rank, chunk in enumerate(ranking):
            scores[chunk] = scores.get(chunk, 0.0) + weight / (RRF_K + rank + 1)
    return sorted(scores, key=lambda c: -scores[c])


def report(label: str, cases: list[Candidates], dense_lists: list[list[str]], weights: list[float]) -> None:
    parts = [f"dense {recall(cases, dense_lists)}"]
    parts += [
        f"hybrid w{w:g} {recall(cases, [fused(d, c.keyword, w) for d, c in zip(dense_lists, cases, strict=True)])}"
        for w in weights
    ]
    print(f"{label:<14} " + " | ".join(parts), flush=True)


def load_model():  # type: ignore[no-untyped-def]
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_dir()), device="cpu", local_files_only=True)
    model.max_seq_length = 256  # index/embeddings.py's MAX_WORD_PIECES
    return model


def reranked(model, cases: list[Candidates], texts: dict[str, str]) -> list[list[str]]:  # type: ignore[no-untyped-def]
    ids = sorted({c for case in cases for c in case.dense + case.keyword})
    chunk_vectors = dict(zip(ids, model.encode([texts[c] for c in ids], batch_size=64, normalize_embeddings=True), strict=True))
    questions = model.encode([c.searched for c in cases], batch_size=64, normalize_embeddings=True)
    out = []
    for case, q in zip(cases, questions, strict=True):
        pool = list(dict.fromkeys(case.dense + case.keyword))
        scores = np.array([chunk_vectors[c] @ q for c in pool])
        out.append([pool[i] for i in np.argsort(-scores)])
    return out


def with_lora(model, rank: int) -> list:  # type: ignore[no-untyped-def]
    """Freezes the model and adds a trainable rank-`rank` update beside each attention projection."""
    import torch

    class LowRank(torch.nn.Module):
        def __init__(self, base: torch.nn.Linear) -> None:
            super().__init__()
            self.base = base
            self.down = torch.nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
            self.up = torch.nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.base(x) + (x @ self.down.T) @ self.up.T

    bert = model[0].auto_model
    for p in bert.parameters():
        p.requires_grad_(False)
    for layer in bert.encoder.layer:
        attention = layer.attention
        for parent, name in (
            (attention.self, "query"),
            (attention.self, "key"),
            (attention.self, "value"),
            (attention.output, "dense"),
        ):
            setattr(parent, name, LowRank(getattr(parent, name)))
    return [p for p in bert.parameters() if p.requires_grad]


def train(cases: list[Candidates], texts: dict[str, str], args: argparse.Namespace):  # type: ignore[no-untyped-def]
    import torch

    torch.manual_seed(args.seed)
    shuffle = random.Random(args.seed).shuffle
    model = load_model()
    params = with_lora(model, args.lora_rank) if args.lora_rank else list(model.parameters())
    pairs = []
    for case in cases:
        best = {c: i for i, c in reversed(list(enumerate(case.dense)))}
        for i, c in enumerate(case.keyword):
            best[c] = min(best.get(c, i), i)
        positives = sorted(case.gold, key=lambda c: best[c])
        pairs += [(case.searched, texts[c]) for c in positives[: args.positives or None]]
    print(f"training on {len(pairs)} pairs, {sum(p.numel() for p in params)} weights", flush=True)
    optimiser = torch.optim.AdamW(params, lr=args.lr)
    model.train()
    started = time.monotonic()
    for epoch in range(args.epochs):
        shuffle(pairs)
        for b in range(0, len(pairs), args.batch):
            batch = pairs[b : b + args.batch]
            q = torch.nn.functional.normalize(model(model.tokenize([a for a, _ in batch]))["sentence_embedding"], dim=-1)
            d = torch.nn.functional.normalize(model(model.tokenize([p for _, p in batch]))["sentence_embedding"], dim=-1)
            logits = q @ d.T * SCALE
            # a chunk that is two questions' positive in one batch is no negative for either
            same = torch.tensor([[p == other for _, other in batch] for _, p in batch]) & ~torch.eye(len(batch), dtype=torch.bool)
            loss = torch.nn.functional.cross_entropy(logits.masked_fill(same, -1e4), torch.arange(len(batch)))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.3f}, {time.monotonic() - started:.0f} s", flush=True)
    model.eval()
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", default="2024-01,2024-02,2024-03", help="months trained on (YYYY-MM,…)")
    parser.add_argument("--test", default="2024-04", help="months scored on")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--positives", type=int, default=0, help="answer-bearing candidates per question (0: all)")
    parser.add_argument("--lora-rank", type=int, default=0, help="train a low-rank update only (0: every weight)")
    parser.add_argument("--lr", type=float, default=None, help="default 2e-5, or 1e-3 with --lora-rank")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dense-weights", default="1,1.5,2")
    parser.add_argument("--limit", type=int, default=None, help="at most N questions per month set (a quick check)")
    args = parser.parse_args()
    args.lr = args.lr or (1e-3 if args.lora_rank else 2e-5)
    weights = [float(w) for w in args.dense_weights.split(",")]
    import torch

    torch.set_num_threads(2)
    train_cases, train_texts = gather(args.train, args.limit)
    test_cases, test_texts = gather(args.test, args.limit)
    print(f"BM25 alone     {recall(test_cases, [c.keyword for c in test_cases])}")
    report("shipped int8", test_cases, [c.dense for c in test_cases], weights)
    report("packaged fp32", test_cases, reranked(load_model(), test_cases, test_texts), weights)
    tuned = train(train_cases, train_texts, args)
    report("tuned", test_cases, reranked(tuned, test_cases, test_texts), weights)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
