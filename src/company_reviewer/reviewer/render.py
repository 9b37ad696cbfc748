"""Company reviews as Markdown for people (the JSON contract is the schema itself)."""

from __future__ import annotations

from company_reviewer.reviewer.schema import CompanyReview


def _stars(rating: float | None) -> str:
    if rating is None:
        return ""
    full = int(round(rating))
    return "\u2605" * full + "\u2606" * (5 - full)


def _interval(interval) -> str:
    return "\u2013" if interval is None else f"{interval[0]:.1f}\u2013{interval[1]:.1f}"


def _escape(text: str) -> str:
    """Review text is data: keep Markdown/HTML from interpreting it (``<script>`` stays text)."""
    return (text.replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").replace("`", "\\`"))


def _provenance(generation) -> str | None:
    """One line saying who wrote a dimension's text, for LLM reviews (None for the embedded model)."""
    if generation is None:
        return None
    dropped = f"; {len(generation.dropped)} LLM sentence(s) dropped by the grounding check" if generation.dropped else ""
    if generation.source == "llm":
        return f"*Text written by the LLM ({len(generation.kept)} grounded sentence(s) kept{dropped}).*"
    if generation.source == "fallback":
        reason = f": {_escape(generation.error)}" if generation.error else ""
        return f"*Text from the embedded writer: the LLM output was not usable{reason}{dropped}.*"
    return "*Text from the embedded writer.*"


def to_markdown(review: CompanyReview) -> str:
    o = review.overall
    lines = [
        f"# {_escape(review.company)}",
        "",
        f"**Overall {o.rating:.1f}/5** {_stars(o.rating)} (90% interval {_interval(o.interval)}) \u00b7 "
        f"{review.n_reviews_used} reviews \u00b7 model `{review.model.name}` {review.model.version}"
        if o.rating is not None else f"**No overall rating** \u00b7 {review.n_reviews_used} reviews",
        "",
        _escape(o.verdict),
        "",
        "| Dimension | Rating | 90% interval | Reviews mentioning |",
        "|---|---|---|---|",
    ]
    for d in review.dimensions.values():
        rating = "\u2013" if d.rating is None else f"{d.rating:.1f} {_stars(d.rating)}"
        lines.append(f"| {d.label} | {rating} | {_interval(d.interval)} | {d.mentions} |")
    for d in review.dimensions.values():
        heading = f"## {d.label}" + ("" if d.rating is None else f" \u2014 {d.rating:.1f}/5")
        lines += ["", heading, "", _escape(d.summary)]
        provenance = _provenance(getattr(d, "generation", None))
        if provenance:
            lines += ["", provenance]
        if d.pros:
            lines += ["", "**Pros**", *[f"- {_escape(p)}" for p in d.pros]]
        if d.cons:
            lines += ["", "**Cons**", *[f"- {_escape(c)}" for c in d.cons]]
        if d.evidence:
            lines += ["", "**Evidence**"]
            for e in d.evidence:
                lines.append(f"> \u201c{_escape(e.quote)}\u201d \u2014 review {_escape(e.review_id)} ({e.sentiment})")
                lines.append(">")
            lines.pop()
    return "\n".join(lines) + "\n"
