"""One question's record (what the assistant returned) scored against its gold item; pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eval.datasets import GoldItem
from eval.metrics import citation_coverage, exact_match, is_correct, names_wrong_choice, supports, token_f1


def score_record(item: GoldItem, record: Mapping[str, Any], modes: Sequence[str]) -> dict[str, Any]:
    """The per-item fields metrics.aggregate reads."""
    retrieval = record.get("retrieval", {})
    scores: dict[str, Any] = {
        "id": item.id,
        "category": item.category or "uncategorised",
        "answerable": item.answerable,
        "has_answers": bool(item.answers),
        "has_sources": bool(item.sources),
        "retrieval": {m: {k: retrieval.get(m, {}).get(k) for k in ("answer_rank", "source_rank", "seconds")} for m in modes},
    }
    if "counterfactual" in record:  # a --counterfactual run: None for the items it does not apply to
        scores["counterfactual"] = counterfactual_score(item, record["counterfactual"])
    answer = record.get("answer")
    if answer is None:
        return scores
    refused = bool(answer["refused"])
    text = "" if refused else answer_prose(answer)
    scores |= {
        "refused": refused,
        "correct": (not refused) and is_correct(text, item.answers, item.choices),
        "exact_match": 0.0 if refused else exact_match(text, item.answer_strings),
        "f1": 0.0 if refused else token_f1(text, item.answer_strings),
        "coverage": 0.0 if refused else citation_coverage(text),
        "citations": [] if refused else cited_support(item, answer),
        "latency": float(answer.get("timings", {}).get("total", 0.0)),
        "tokens": int(record.get("answer_tokens", 0)),
        "completion_tokens": answer.get("tokens", {}).get("completion"),
    }
    return scores


def answer_prose(answer: Mapping[str, Any]) -> str:
    """The answer's text without the line saying which days it searched ("Searched articles published between …"):
    that line is no claim to cite, and its dates must not count as an answer."""
    text = str(answer["text"])
    note = (answer.get("window") or {}).get("text") or ""
    return text.replace(note, "", 1).strip() if note else text


def counterfactual_score(item: GoldItem, answer: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The answer to the question asked without the passages that hold its answer: refused? names a wrong choice
    (None when the item has no choices)?"""
    if answer is None:
        return None
    refused = bool(answer["refused"])
    if not item.choices:
        return {"refused": refused, "wrong_choice": None}
    wrong_choice = not refused and names_wrong_choice(answer_prose(answer), item.answers, item.choices)
    return {"refused": refused, "wrong_choice": wrong_choice}


def cited_support(item: GoldItem, answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """For each citation: does its passage, and does its quote, hold the gold answer or evidence?"""
    out = []
    for citation in answer.get("citations", []):
        passage = cited_passage(citation, answer.get("passages", []))
        passage_text = passage["text"] if passage else citation["quote"]
        out.append(
            {
                "number": citation["number"],
                "passage_supports": supports(passage_text, item.answers, item.evidence),
                "quote_supports": supports(citation["quote"], item.answers, item.evidence),
            }
        )
    return out


def cited_passage(citation: Mapping[str, Any], passages: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The retrieved passage a citation quotes: by chunk id, else the passage of its article that contains the quote."""
    chunk_id = citation.get("chunk_id")
    for passage in passages:
        if chunk_id and passage["chunk_id"] == chunk_id:
            return passage
    for passage in passages:
        if (
            passage["article_id"] == citation["article_id"]
            and passage["start"] <= citation["start"]
            and citation["end"] <= passage["end"]
        ):
            return passage
    return None
