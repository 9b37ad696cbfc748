"""Company reviews as Markdown for people (the JSON contract is the schema itself)."""

from __future__ import annotations

import re

from company_reviewer.reviewer.schema import CompanyReview

# Bidirectional formatting characters (U+202E turns "exe.txt" into "txt.exe" on screen), the other
# invisible direction marks, and control characters (terminal escape sequences): dropped from
# everything rendered for people. The JSON keeps the text as it was.
_INVISIBLE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
# A character that starts a Markdown block (heading, quote, list, fence, setext line) at the
# start of a paragraph; review text must not become one.
_BLOCK_START = re.compile(r"^([#>+=~-]|\d+[.)])")


def display_text(text) -> str:
    """``text`` safe to show: without bidirectional controls, other invisible marks and control
    characters (tabs and newlines stay)."""
    return _INVISIBLE.sub("", "" if text is None else str(text))


def _stars(rating: float | None) -> str:
    if rating is None:
        return ""
    full = int(round(rating))
    return "\u2605" * full + "\u2606" * (5 - full)


def _interval(interval) -> str:
    return "\u2013" if interval is None else f"{interval[0]:.1f}\u2013{interval[1]:.1f}"


def _escape(text: str) -> str:
    """Review text is data: keep Markdown/HTML from interpreting it (``<script>`` stays text).

    Brackets are escaped, so no link or image can be formed (``[x](javascript:...)`` and remote
    images ``![](https://...)`` stay characters); line breaks are joined, so a quote cannot open a
    heading or a list of its own; nothing invisible is kept (:func:`display_text`)."""
    text = _LINE_BREAKS.sub(" ", display_text(text).replace("\t", " "))
    text = (text.replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").replace("`", "\\`")
            .replace("[", "\\[").replace("]", "\\]").replace("~", "\\~"))
    return _BLOCK_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


def _code(text: str) -> str:
    """Text for inside a code span: no backtick can end it early."""
    return display_text(text).replace("`", "'").replace("\n", " ")


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
        f"{review.n_reviews_used} reviews \u00b7 model `{_code(review.model.name)}` {_escape(review.model.version)}"
        if o.rating is not None else f"**No overall rating** \u00b7 {review.n_reviews_used} reviews",
        "",
        _escape(o.verdict),
        "",
        "| Dimension | Rating | 90% interval | Reviews mentioning |",
        "|---|---|---|---|",
    ]
    for d in review.dimensions.values():
        rating = "\u2013" if d.rating is None else f"{d.rating:.1f} {_stars(d.rating)}"
        lines.append(f"| {_escape(d.label)} | {rating} | {_interval(d.interval)} | {d.mentions} |")
    for d in review.dimensions.values():
        heading = f"## {_escape(d.label)}" + ("" if d.rating is None else f" \u2014 {d.rating:.1f}/5")
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
