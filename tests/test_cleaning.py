from index.cleaning import clean_text
from index.loaders import expand_paths, iter_articles
from tests.conftest import AKAZAWA_ARTICLE, DENIAL_ARTICLE, SEEDS


def _seed_text(article_id: str) -> str:
    (article,) = [a for a in iter_articles(expand_paths([SEEDS]), max_bytes=10**7) if a.id == article_id]
    return article.text


def test_repeated_paragraphs_are_kept_once() -> None:
    raw = _seed_text(DENIAL_ARTICLE)
    repeated = "This declaration came following comments from spokesman Guo Jiakun"
    assert raw.count(repeated) == 2
    cleaned = clean_text(raw)
    assert cleaned.count(repeated) == 1
    assert cleaned.count("Analysts, including Yun Sun from the Stimson Center") == 1
    assert cleaned.count("China Stands Firm in U.S. Trade War, Dismisses Negotiation Claims") == 1


def test_news_page_furniture_is_dropped_and_reporting_kept() -> None:
    cleaned = clean_text(_seed_text(AKAZAWA_ARTICLE))
    for furniture in (
        "Share this article",
        "Profile Image",
        "For updates and corrections",
        "Read Next:",
        "Subscribe to Chart Art",
        "All Newsletters",
        "Delivered daily",
        "editorial guidelines",
        "Photo Courtesy",
    ):
        assert furniture not in cleaned, furniture
    assert "Japan’s chief negotiator, Ryosei Akazawa" in cleaned
    assert cleaned.count("China said it was evaluating a US proposal to commence bilateral talks.") == 1


def test_whitespace_is_tidied_into_paragraphs() -> None:
    assert clean_text("  First   line  \n\n\n\nSecond\tline \n") == "First line\n\nSecond line"


def test_short_repeats_are_not_treated_as_duplicates() -> None:
    # Short lines ("Yes.") may legitimately recur; only paragraphs of four words or more are deduplicated.
    assert clean_text("Yes.\nIt rained all day long.\nYes.") == "Yes.\n\nIt rained all day long.\n\nYes."
