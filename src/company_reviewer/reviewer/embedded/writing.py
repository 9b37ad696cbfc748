"""Writing the review text from counts, ratings and quoted points (no language model).

Every sentence reports something measured (how many reviews mention a dimension, how opinion
splits, the rating) or quotes a recurring point verbatim, so nothing here can be invented.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """A recurring point: a verbatim quote standing for a cluster, and how many reviews made it."""

    quote: str
    n_reviews: int


@dataclass(frozen=True)
class DimensionFacts:
    label: str
    n_reviews: int
    mentions: int
    positive: int
    negative: int
    mixed: int
    rating: float | None
    interval: tuple[float, float] | None
    praise: tuple[Point, ...]
    complaints: tuple[Point, ...]


def _quote(point: Point) -> str:
    text = point.quote.strip().rstrip(".!;,")
    suffix = f" ({point.n_reviews} reviews)" if point.n_reviews > 1 else ""
    return f"\u201c{text}\u201d{suffix}"


def _tone(facts: DimensionFacts) -> str:
    judged = facts.positive + facts.negative
    if judged == 0:
        return "without a clear lean"
    share = facts.positive / judged
    if share >= 0.75:
        return "mostly positive"
    if share >= 0.55:
        return "more positive than negative"
    if share > 0.45:
        return "split"
    if share > 0.25:
        return "more negative than positive"
    return "mostly negative"


def _rating_sentence(facts: DimensionFacts, inferred: bool) -> str:
    if facts.rating is None:
        return "There is no signal to rate it."
    interval = f" (90% interval {facts.interval[0]:.1f}\u2013{facts.interval[1]:.1f})" if facts.interval else ""
    how = " inferred from the reviews' overall tone" if inferred else ""
    return f"Estimated rating {facts.rating:.1f}/5{interval}{how}."


def dimension_summary(facts: DimensionFacts) -> str:
    label = facts.label.lower() if not facts.label.isupper() else facts.label
    if facts.mentions == 0:
        return f"None of the {facts.n_reviews} reviews discuss {label}. " + _rating_sentence(facts, inferred=True)
    parts = [
        f"{facts.mentions} of {facts.n_reviews} reviews mention {label}; opinion is {_tone(facts)} "
        f"({facts.positive} positive, {facts.negative} negative"
        + (f", {facts.mixed} mixed" if facts.mixed else "") + ")."
    ]
    if facts.praise:
        parts.append("Praised most: " + "; ".join(_quote(p) for p in facts.praise[:2]) + ".")
    if facts.complaints:
        parts.append("Main complaints: " + "; ".join(_quote(p) for p in facts.complaints[:2]) + ".")
    parts.append(_rating_sentence(facts, inferred=False))
    return " ".join(parts)


def bullets(points: tuple[Point, ...], limit: int = 3) -> list[str]:
    return [p.quote.strip() + (f" ({p.n_reviews} reviews)" if p.n_reviews > 1 else "") for p in points[:limit]]


def _verdict_lead(rating: float) -> str:
    if rating >= 4.0:
        return "A strong employer by its reviewers' account"
    if rating >= 3.5:
        return "A good employer with clear weak spots"
    if rating >= 3.0:
        return "A mixed picture"
    if rating >= 2.5:
        return "More criticism than praise"
    return "Reviewers are largely negative"


def verdict(
    company: str,
    n_reviews: int,
    rating: float | None,
    interval: tuple[float, float] | None,
    dimensions: dict[str, DimensionFacts],
) -> str:
    """The overall verdict: rating, strongest and weakest rated dimensions, what is discussed most."""
    if rating is None:
        return f"Not enough review text about {company} to reach a verdict ({n_reviews} reviews)."
    rated = sorted(
        ((f.rating, f.label) for f in dimensions.values() if f.rating is not None and f.mentions > 0),
        reverse=True,
    )
    interval_text = f" (90% interval {interval[0]:.1f}\u2013{interval[1]:.1f})" if interval else ""
    parts = [f"{_verdict_lead(rating)}: {rating:.1f}/5 overall{interval_text} from {n_reviews} reviews."]
    strong = [f"{label.lower()} ({r:.1f})" for r, label in rated[:3] if r >= rating]
    weak = [f"{label.lower()} ({r:.1f})" for r, label in reversed(rated[-3:]) if r < rating]
    if strong:
        parts.append("Strongest: " + ", ".join(strong) + ".")
    if weak:
        parts.append("Weakest: " + ", ".join(weak) + ".")
    talked = sorted(dimensions.values(), key=lambda f: f.mentions, reverse=True)[:3]
    if talked and talked[0].mentions:
        parts.append("Most discussed: " + ", ".join(f"{f.label.lower()} ({f.mentions} reviews)" for f in talked) + ".")
    return " ".join(parts)
