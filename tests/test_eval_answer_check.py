"""eval/answer_check.py: the threshold curve of the local model's answer check, read from an eval run's results and
scored by the eval's own rules against the run's question set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.answer_check import Asked, choose, curve, main, read_run


def test_each_threshold_refuses_the_answers_checked_below_it() -> None:
    answered = [Asked(0.9, False, True), Asked(0.4, False, True), Asked(0.8, False, False), Asked(None, True, False)]
    counterfactuals = [Asked(0.3, False, False), Asked(0.6, False, False), Asked(None, True, False), Asked(0.95, False, True)]
    points = curve(answered, counterfactuals, [0.0, 0.5, 0.7])
    assert [(p.accuracy, p.counterfactuals_refused) for p in points] == [(0.5, 0.25), (0.25, 0.5), (0.25, 0.75)]
    assert choose(points, target=0.5).threshold == 0.5  # the lowest that refuses half
    assert choose(points, target=0.9).threshold == 0.7  # none refuses 90%: the highest


def test_a_run_is_read_with_its_counterfactuals_and_a_run_without_them_is_refused(tmp_path: Path, capsys) -> None:
    def answer(text: str, check: float | None, refused: bool = False) -> dict:
        return {"text": text, "refused": refused, "answer_check": check}

    records = [
        {
            "id": "q1",
            "answerable": True,
            "answers": [["Akazawa"]],
            "answer": answer("Ryosei Akazawa [1].", 0.9),
            "counterfactual": answer("The articles I have don't answer this question.", None, refused=True),
        },
        {
            "id": "q2",
            "answerable": True,
            "answers": [["June"]],
            "answer": answer("In July [1].", 0.7),
            "counterfactual": answer("In May [2].", 0.4),
        },
        {"id": "q3", "answerable": False, "answers": [], "answer": answer("No.", None, refused=True)},
    ]
    gold = [
        {"id": "q1", "question": "Who negotiates for Japan?", "answers": ["Akazawa"]},
        {"id": "q2", "question": "When is the deal due?", "answers": ["June"]},
        {"id": "q3", "question": "How old is Bessent?", "answers": [], "answerable": False},
    ]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold))
    (tmp_path / "run.json").write_text(json.dumps({"set": str(tmp_path / "gold.jsonl")}))
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    answered, counterfactuals = read_run(tmp_path)
    assert answered == [Asked(0.9, False, True), Asked(0.7, False, False)]
    assert counterfactuals == [Asked(None, True, False), Asked(0.4, False, False)]
    assert main([str(tmp_path), "--target", "1.0", "--plot", str(tmp_path / "curve.png")]) == 0
    printed = capsys.readouterr().out
    assert "chosen 0.45" in printed and (tmp_path / "curve.png").stat().st_size > 0

    for record in records:
        record.pop("counterfactual", None)
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(SystemExit, match="no counterfactual answers"):
        read_run(tmp_path)
