"""Company reviews as Markdown for people (the JSON contract is the schema itself).

The Markdown is plain CommonMark/GitHub Flavored Markdown: a table with a header row, headings,
lists and block quotes, no raw HTML. Numbers follow the writer's one rounding rule
(:func:`writing.fmt_rating`), so a heading always shows the rating its paragraph states; a German
review (``review.language == "de"``) gets German headings, labels and decimal commas.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from company_reviewer.reviewer.embedded.writing import _GERMAN_NAMES, fmt_rating
from company_reviewer.reviewer.schema import CompanyReview

# Bidirectional formatting characters (U+202E turns "exe.txt" into "txt.exe" on screen), the other
# invisible direction marks, and control characters (terminal escape sequences): dropped from
# everything rendered for people. The JSON keeps the text as it was.
_INVISIBLE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
# A character that starts a Markdown block (heading, quote, list, fence, setext line) at the
# start of a paragraph; review text must not become one.
_BLOCK_START = re.compile(r"^([#>+=~-]|\d+[.)])")

_WORDS = {
    "en": {
        "overall": "Overall", "no_overall": "No overall rating", "interval": "90% interval", "reviews": "reviews",
        "model": "model", "dimension": "Dimension", "rating": "Rating", "mentions": "Reviews mentioning",
        "basis": "Basis", "trend": "Recent trend", "pros": "Pros", "cons": "Cons", "evidence": "Evidence",
        "review": "review", "better": "better", "worse": "worse",
        "sentiment": {"positive": "positive", "negative": "negative", "neutral": "neutral"},
        "bases": {"text": "text", "text+stars": "text + stars", "inferred": "inferred (few mentions)"},
        "wiring": ("**Experimental: wiring model.** The text was written by {llm}, a language model too small to "
                   "write faithfully; read it as a test of the wiring, not as a review."),
        "borrowed": "Ratings and intervals are the {source} model's; the LLM wrote only the text.",
    },
    "de": {
        "overall": "Gesamt", "no_overall": "Keine Gesamtbewertung", "interval": "90-%-Intervall",
        "reviews": "Bewertungen", "model": "Modell", "dimension": "Thema", "rating": "Bewertung",
        "mentions": "Bewertungen dazu", "basis": "Grundlage", "trend": "Entwicklung", "pros": "Stärken",
        "cons": "Schwächen", "evidence": "Belege", "review": "Bewertung", "better": "besser",
        "worse": "schlechter",
        "sentiment": {"positive": "positiv", "negative": "negativ", "neutral": "neutral"},
        "bases": {"text": "Text", "text+stars": "Text + Sterne", "inferred": "abgeleitet (wenige Nennungen)"},
        "wiring": ("**Experimentell: Verdrahtungsmodell.** Den Text schrieb {llm}, ein Sprachmodell, das zu klein "
                   "ist, um verlässlich zu schreiben; er prüft die Verdrahtung und ist keine Bewertung."),
        "borrowed": "Bewertungen und Intervalle stammen vom Modell {source}; das LLM schrieb nur den Text.",
    },
}


def display_text(text) -> str:
    """``text`` safe to show: without bidirectional controls, other invisible marks and control
    characters (tabs and newlines stay)."""
    return _INVISIBLE.sub("", "" if text is None else str(text))


def _language(review: CompanyReview) -> str:
    return "de" if (review.language or "").lower().startswith("de") else "en"


def _num(value: float, language: str) -> str:
    text = fmt_rating(value)
    return text.replace(".", ",") if language == "de" else text


def _stars(rating: float | None) -> str:
    """Five stars, filled by the shown rating rounded half-up (3.5 -> four)."""
    if rating is None:
        return ""
    full = int(Decimal(fmt_rating(rating)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return "\u2605" * full + "\u2606" * (5 - full)


def _interval(interval, language: str) -> str:
    return "\u2013" if interval is None else f"{_num(interval[0], language)}\u2013{_num(interval[1], language)}"


def _escape(text: str) -> str:
    """Review text is data: keep Markdown/HTML from interpreting it (``<script>`` stays text).

    Brackets are escaped, so no link or image can be formed (``[x](javascript:...)`` and remote
    images ``![](https://...)`` stay characters); line breaks are joined, so a quote cannot open a
    heading or a list of its own; nothing invisible is kept (:func:`display_text`)."""
    text = _LINE_BREAKS.sub(" ", display_text(text).replace("\t", " "))
    text = (text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").replace("`", "\\`")
            .replace("[", "\\[").replace("]", "\\]").replace("~", "\\~"))
    return _BLOCK_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


def _code(text: str) -> str:
    """Text for inside a code span: no backtick can end it early."""
    return display_text(text).replace("`", "'").replace("\n", " ")


def _label(key: str, label: str, language: str) -> str:
    names = _GERMAN_NAMES.get(key) if language == "de" else None
    return names[0] if names else label


def _trend(trend, words: dict) -> str:
    if trend is None or trend.direction == "steady":
        return ""
    arrow = "\u2191" if trend.direction == "better" else "\u2193"
    return f"{arrow} {words[trend.direction]}"


def _provenance(generation) -> str | None:
    """One line saying who wrote a dimension's text, for LLM reviews (None for the embedded model)."""
    if generation is None:
        return None
    dropped = (f"; {len(generation.dropped)} LLM sentence(s) dropped by the grounding check"
               if generation.dropped else "")
    if generation.source == "llm":
        return f"*Text written by the LLM ({len(generation.kept)} grounded sentence(s) kept{dropped}).*"
    if generation.source == "fallback":
        reason = f": {_escape(generation.error)}" if generation.error else ""
        return f"*Text from the embedded writer: the LLM output was not usable{reason}{dropped}.*"
    return "*Text from the embedded writer.*"


def _model_notes(review: CompanyReview, words: dict) -> list[str]:
    """Block-quoted notes on how far to trust the text: a wiring model wrote it, or the ratings are
    another model's."""
    model, notes = review.model, []
    if model.experimental:
        size = f" ({model.parameters / 1e6:.0f}M parameters)" if model.parameters else ""
        notes.append(words["wiring"].format(llm=f"`{_code(model.name)}`{size}"))
    if model.ratings_from:
        notes.append(words["borrowed"].format(source=f"`{_code(model.ratings_from)}`"))
    return [line for note in notes for line in ("", f"> {note}")]


def to_markdown(review: CompanyReview) -> str:
    language = _language(review)
    words = _WORDS[language]
    o = review.overall
    model = f"{words['model']} `{_code(review.model.name)} {_code(review.model.version)}`"
    # The trend column only when some dimension moved: a column of blanks says nothing.
    trends = any(_trend(d.trend, words) for d in review.dimensions.values())
    lines = [
        f"# {_escape(review.company)}",
        "",
        f"**{words['overall']} {_num(o.rating, language)}/5** {_stars(o.rating)} ({words['interval']} "
        f"{_interval(o.interval, language)}) \u00b7 {review.n_reviews_used} {words['reviews']} \u00b7 {model}"
        if o.rating is not None else f"**{words['no_overall']}** \u00b7 {review.n_reviews_used} {words['reviews']}"
        f" \u00b7 {model}",
        *_model_notes(review, words),
        "",
        _escape(o.verdict),
        "",
        f"| {words['dimension']} | {words['rating']} | {words['interval']} | {words['mentions']} | {words['basis']} |"
        + (f" {words['trend']} |" if trends else ""),
        "|:---|:---|:---|---:|:---|" + (":---|" if trends else ""),
    ]
    for key, d in review.dimensions.items():
        rating = "\u2013" if d.rating is None else f"{_num(d.rating, language)} {_stars(d.rating)}"
        basis = words["bases"].get(d.basis, d.basis) if d.basis else "\u2013"
        lines.append(f"| {_escape(_label(key, d.label, language))} | {rating} | {_interval(d.interval, language)} "
                     f"| {d.mentions} | {basis} |" + (f" {_trend(d.trend, words) or chr(0x2013)} |" if trends else ""))
    for key, d in review.dimensions.items():
        heading = f"## {_escape(_label(key, d.label, language))}"
        if d.rating is not None:
            heading += f" \u2014 {_num(d.rating, language)}/5"
        lines += ["", heading, "", _escape(d.summary)]
        provenance = _provenance(getattr(d, "generation", None))
        if provenance:
            lines += ["", provenance]
        if d.pros:
            lines += ["", f"**{words['pros']}**", "", *[f"- {_escape(p)}" for p in d.pros]]
        if d.cons:
            lines += ["", f"**{words['cons']}**", "", *[f"- {_escape(c)}" for c in d.cons]]
        if d.evidence:
            lines += ["", f"**{words['evidence']}**", ""]
            for e in d.evidence:
                sentiment = words["sentiment"].get(e.sentiment, e.sentiment)
                lines.append(f"> \u201c{_escape(e.quote)}\u201d \u2014 {words['review']} {_escape(e.review_id)} "
                             f"({sentiment})")
                lines.append(">")
            lines.pop()
    return "\n".join(lines) + "\n"
