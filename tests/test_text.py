"""Small text tools: stems."""

from __future__ import annotations

from assistant.text import content_stems, stem


def test_an_irregular_past_form_stems_as_its_verb() -> None:
    # "What did Akazawa tell reporters?" did not match "Akazawa told reporters": the stemmer keeps them apart
    assert stem("told") == stem("tell") and stem("won") == stem("wins") and stem("Met") == stem("meeting")
    assert content_stems("Who won the final?") == content_stems("Who wins the final?")
    assert stem("found") != stem("find") and stem("left") != stem("leave")  # other words too: left as they are
