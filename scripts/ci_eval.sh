#!/usr/bin/env bash
# CI eval gates, run by scripts/test.sh: the seeds gold set answered by the extractive backend, and retrieval
# on a one-month slice of RealTime QA (June 2024: its 110 questions and the 77 articles published from a week
# before its first quiz to its last). A metric below its floor fails the run. Results land in $EVAL_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
OUT=${EVAL_OUT:-artifacts/ci-eval}
MONTH=2024-06

RTQA_DIR=${RTQA_DIR:-}
if [[ -z "$RTQA_DIR" ]]; then
  for candidate in ../shared/data/realtimeqa-2024h1 /work/shared/data/realtimeqa-2024h1; do
    if [[ -f "$candidate/questions.jsonl" ]]; then RTQA_DIR=$candidate; break; fi
  done
fi
if [[ -z "$RTQA_DIR" || ! -f "$RTQA_DIR/questions.jsonl" ]]; then
  echo "error: the RealTime QA folder (questions.jsonl, corpus.jsonl.gz) was not found; set RTQA_DIR" >&2
  exit 1
fi

rm -rf "$OUT"  # fresh results each run: a reused --out would skip its finished questions
# The eval indexes live in ASSISTANT_HOME/eval/<hash of corpus and settings> and are reused by the next run.

echo "== eval: seeds gold set, extractive backend"
"$BIN/assistant" eval eval/sets/seeds.jsonl --backend extractive --out "$OUT/seeds" \
  --fail-under accuracy=0.85 \
  --fail-under refusal_recall=0.85 \
  --fail-under citation_precision=0.9 \
  --fail-under citation_coverage=0.95 \
  --fail-under hybrid.answer_recall@5=0.9

# Each question is asked as of its quiz date: nothing published later is read, and "this week" is the quiz's week.
# That took hybrid recall@10 from 0.756 to 0.66-0.71 (six runs; Chroma's search varies by a question or two): the
# three questions lost had been "answered" only by articles published after the quiz (20240607_15's one article
# holding "Extreme heat" is dated two weeks later). Recall@5 stayed 0.659.
echo "== eval: RealTime QA $MONTH slice, retrieval"
"$BIN/python" -m eval.slices "$RTQA_DIR" "$OUT/slice" --month "$MONTH"
"$BIN/assistant" eval "$OUT/slice/realtimeqa-$MONTH.jsonl" --corpus "$OUT/slice/realtimeqa-$MONTH-corpus.jsonl.gz" \
  --retrieval-only --as-of question --out "$OUT/realtimeqa-$MONTH" \
  --fail-under hybrid.answer_recall@5=0.6 \
  --fail-under hybrid.answer_recall@10=0.63
