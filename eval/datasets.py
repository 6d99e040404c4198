"""Question sets: the gold-set JSONL of ARCHITECTURE.md and RealTime QA question files, as GoldItems.

A gold-set line: id, question, answers (accepted answers; empty when not answerable), answerable
(default true), and optionally sources, choices, evidence, history, category. An accepted answer is a
string, or a list of strings that must all appear (for questions whose answer spans two articles).
A RealTime QA line (id, date, question, choices, answers, answer_index, evidence, answer_in_corpus) is
read as an item that is answerable when `answer_in_corpus`, categorised by its question word.
Every problem names the file and line.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.errors import EvalError

GOLD_FIELDS = frozenset({"id", "question", "answers", "answerable", "sources", "choices", "evidence", "history", "category"})
RTQA_FIELDS = frozenset({"id", "date", "question", "choices", "answers", "answer_index", "evidence", "answer_in_corpus"})
RTQA_MARKERS = frozenset({"answer_index", "answer_in_corpus"})

AcceptedAnswer = tuple[str, ...]  # every part must appear for the answer to count


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answers: tuple[AcceptedAnswer, ...]
    answerable: bool = True
    sources: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    category: str = ""
    date: str = ""  # RealTime QA: the quiz date

    @property
    def answer_strings(self) -> list[str]:
        """Each accepted answer as one string (its parts joined), for exact match and F1."""
        return [" ".join(parts) for parts in self.answers]


def load_set(path: str | Path) -> list[GoldItem]:
    """The items of a gold-set or RealTime QA JSONL file; a bad line raises EvalError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise EvalError(f"{path}: no such question set")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        raise EvalError(f"{path}: not UTF-8 text (invalid byte at offset {err.start})") from None
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        row = _json_object(line, where)
        item = _rtqa_item(row, where) if RTQA_MARKERS & set(row) else _gold_item(row, where)
        if item.id in seen:
            raise EvalError(f"{where}: id {item.id!r} already used on line {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise EvalError(f"{path}: no questions in it")
    return items


def select(
    items: list[GoldItem], *, only_answerable: bool = False, sample: int | None = None, seed: int = 0, limit: int | None = None
) -> list[GoldItem]:
    """Filter, then a seeded random sample (kept in file order), then the first `limit`."""
    chosen = [item for item in items if item.answerable] if only_answerable else list(items)
    if sample is not None:
        if sample < 1:
            raise EvalError(f"--sample must be at least 1, not {sample}")
        if sample < len(chosen):
            keep = set(random.Random(seed).sample(range(len(chosen)), sample))
            chosen = [item for i, item in enumerate(chosen) if i in keep]
    if limit is not None:
        if limit < 1:
            raise EvalError(f"--limit must be at least 1, not {limit}")
        chosen = chosen[:limit]
    if not chosen:
        raise EvalError("no questions left to run after --only-answerable")
    return chosen


def question_kind(question: str) -> str:
    """A coarse category from the question word, for sets that carry none."""
    q = question.lower()
    for pattern, kind in QUESTION_KINDS:
        if re.search(pattern, q):
            return kind
    return "other"


QUESTION_KINDS = (
    (r"\bhow (many|much)\b|\bwhat (percentage|number|amount)\b", "how many"),
    (r"^\s*when\b|\bwhat (date|day|month|year)\b", "when"),
    (r"^\s*where\b|\bwhich (country|city|state|nation|place)\b|\bwhat (country|city|state)\b", "where"),
    (r"^\s*(who|whom|whose)\b|\bwhich (person|politician|company|team|player|celebrity|singer|actor)\b", "who"),
    (r"^\s*which\b|\bwhich of the following\b", "which"),
    (r"^\s*what\b", "what"),
)


# --- parsing -------------------------------------------------------------------------------------


def _json_object(line: str, where: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        raise EvalError(f"{where}: not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(row, dict):
        raise EvalError(f"{where}: expected a JSON object, got {type(row).__name__}")
    return row


def _gold_item(row: dict[str, Any], where: str) -> GoldItem:
    unknown = sorted(set(row) - GOLD_FIELDS)
    if unknown:
        raise EvalError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(GOLD_FIELDS))}")
    answerable = row.get("answerable", True)
    if not isinstance(answerable, bool):
        raise EvalError(f"{where}: 'answerable' must be true or false")
    answers = _answers(row.get("answers", []), where)
    if answerable and not answers:
        raise EvalError(f"{where}: an answerable question needs at least one accepted answer in 'answers'")
    if not answerable and answers:
        raise EvalError(f"{where}: 'answers' must be empty when 'answerable' is false")
    choices = _strings(row.get("choices", []), "choices", where)
    _check_choices(answers, choices, where)
    return GoldItem(
        id=_id(row, where),
        question=_text(row, "question", where),
        answers=answers,
        answerable=answerable,
        sources=_strings(row.get("sources", []), "sources", where),
        choices=choices,
        evidence=_evidence(row.get("evidence"), where),
        history=_history(row.get("history", []), where),
        category=_optional_text(row.get("category"), "category", where),
    )


def _rtqa_item(row: dict[str, Any], where: str) -> GoldItem:
    unknown = sorted(set(row) - RTQA_FIELDS)
    if unknown:
        raise EvalError(
            f"{where}: unknown field(s) {', '.join(unknown)} for a RealTime QA line; allowed: {', '.join(sorted(RTQA_FIELDS))}"
        )
    answers = _answers(row.get("answers"), where)
    if not answers:
        raise EvalError(f"{where}: missing or empty 'answers'")
    choices = _strings(row.get("choices", []), "choices", where)
    _check_choices(answers, choices, where)
    in_corpus = row.get("answer_in_corpus", True)
    if not isinstance(in_corpus, bool):
        raise EvalError(f"{where}: 'answer_in_corpus' must be true or false")
    question = _text(row, "question", where)
    return GoldItem(
        id=_id(row, where),
        question=question,
        answers=answers,
        answerable=in_corpus,
        choices=choices,
        evidence=_evidence(row.get("evidence"), where),
        category=question_kind(question),
        date=_optional_text(row.get("date"), "date", where),
    )


def _id(row: dict[str, Any], where: str) -> str:
    value = row.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise EvalError(f"{where}: missing or empty 'id'")
    return str(value).strip()


def _text(row: dict[str, Any], name: str, where: str) -> str:
    value = row.get(name)
    if not isinstance(value, str) or not value.strip():
        raise EvalError(f"{where}: missing or empty '{name}'")
    return value.strip()


def _optional_text(value: object, name: str, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EvalError(f"{where}: '{name}' must be a string")
    return value.strip()


def _strings(value: object, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise EvalError(f"{where}: '{name}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _answers(value: object, where: str) -> tuple[AcceptedAnswer, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise EvalError(f"{where}: 'answers' must be a list of strings (or of lists of strings that must all appear)")
    accepted: list[AcceptedAnswer] = []
    for entry in value:
        parts = [entry] if isinstance(entry, str) else entry
        if not isinstance(parts, list) or not parts or not all(isinstance(p, str) and p.strip() for p in parts):
            raise EvalError(f"{where}: each answer must be a non-empty string or a non-empty list of them, not {entry!r}")
        accepted.append(tuple(p.strip() for p in parts))
    return tuple(accepted)


def _check_choices(answers: Iterable[AcceptedAnswer], choices: tuple[str, ...], where: str) -> None:
    if not choices:
        return
    for parts in answers:
        if len(parts) != 1 or parts[0] not in choices:
            raise EvalError(f"{where}: answer {' + '.join(parts)!r} is not one of the choices")


def _evidence(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    return _strings(value, "evidence", where)


def _history(value: object, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        raise EvalError(f"{where}: 'history' must be a list of [question, answer] pairs")
    turns: list[tuple[str, str]] = []
    for turn in value:
        if isinstance(turn, dict) and set(turn) == {"question", "answer"}:
            turn = [turn["question"], turn["answer"]]
        if not (isinstance(turn, list) and len(turn) == 2 and all(isinstance(t, str) and t.strip() for t in turn)):
            raise EvalError(f'{where}: each \'history\' turn must be [question, answer] or {{"question", "answer"}}')
        turns.append((turn[0].strip(), turn[1].strip()))
    return tuple(turns)
