"""Writing the review text from counts, ratings and recurring points (no language model).

Every sentence reports something measured: the rating and its interval, how many reviews discuss a
dimension and how they lean, how many reviewers make each recurring point, how the lean moved over
time. Recurring points are described by their side and their count; where a paragraph quotes one it
quotes a short fragment, never a whole bullet. Phrasing varies between companies and dimensions but
is chosen deterministically (a hash of company and dimension), so the same input gives the same text.

Numbers follow one rule everywhere: :func:`fmt_rating`, half-up to one decimal from the two-decimal
value the JSON output carries, so a paragraph always shows the heading's rating.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping, Sequence

# A dimension discussed by fewer reviews than this is not judged from its mentions: its rating is
# inferred from the overall tone (basis "inferred"), its paragraph says so, and no verdict names it.
THIN_EVIDENCE_MENTIONS = 3
# A change of the mention balance ((positive - negative) / mentions) between the recent and the
# earlier window at least this large is reported as "got better/worse".
TREND_MIN_CHANGE = 0.3
# Reviews per window a trend needs on each side.
TREND_MIN_MENTIONS = 3
# The lean beyond which a review counts as positive / negative (analysis.POLARITY_MARGIN).
_POLARITY_MARGIN = 0.2


# -- data ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Point:
    """A recurring point: a verbatim quote standing for a cluster, and how many reviews made it."""

    quote: str
    n_reviews: int


@dataclass(frozen=True)
class Trend:
    """How a dimension's mentions leaned in the recent window against the time before it."""

    recent_mentions: int
    recent_balance: float
    earlier_mentions: int
    earlier_balance: float
    window_label: str = "the last 12 months"
    recent_positive: int | None = None
    recent_negative: int | None = None
    earlier_positive: int | None = None
    earlier_negative: int | None = None
    months: int = 12
    until: str | None = None   # ISO date of the latest review: the window ends there

    @property
    def change(self) -> float:
        return self.recent_balance - self.earlier_balance

    @property
    def notable(self) -> bool:
        return abs(self.change) >= TREND_MIN_CHANGE - 1e-9


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
    language: str = "en"               # "de": the paragraph is written in German
    trend: Trend | None = None         # from trend_of(leans, dates)
    dimension_id: str | None = None    # taxonomy id; derived from the label when absent
    company: str = ""                  # seeds the choice of phrasing
    basis: str | None = None           # "inferred": written as a thin dimension whatever the mentions


# -- numbers and words -----------------------------------------------------------------------------

def fmt_rating(value: float) -> str:
    """A rating or interval bound as text: the two-decimal value the JSON shows, rounded half-up to
    one decimal (3.25 -> "3.3", 2.449 -> 2.45 -> "2.5", 2.444 -> "2.4")."""
    two = Decimal(repr(round(float(value), 2)))
    return str(two.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _num(value: float, language: str) -> str:
    text = fmt_rating(value)
    return text.replace(".", ",") if language == "de" else text


def _interval(interval, language: str) -> str:
    lo, hi = (_num(v, language) for v in interval)
    return f"90-%-Intervall {lo}\u2013{hi}" if language == "de" else f"90% interval {lo}\u2013{hi}"


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 review", "3 reviews"; German: plural("Bewertung", "Bewertungen")."""
    return f"{n} {singular if n == 1 else (plural_form or singular + 's')}"


def language_of(languages: Sequence[object]) -> str:
    """The language to write in for reviews with these language codes: "de" when most are German."""
    codes = [str(x).lower()[:2] for x in languages if isinstance(x, str) and x]
    if not codes:
        return "en"
    return "de" if sum(c == "de" for c in codes) * 2 > len(codes) else "en"


def _seed(*parts: object) -> int:
    return int(hashlib.sha256("\u241f".join(str(p) for p in parts).encode()).hexdigest()[:12], 16)


def _pick(options: Sequence[str], *seed: object) -> str:
    return options[_seed(*seed) % len(options)]


# -- dimension names -------------------------------------------------------------------------------

_ID_BY_LABEL = {
    "salary": "salary", "benefits": "benefits", "work-life balance": "work_life_balance",
    "career growth": "career_growth", "learning and development": "learning_development",
    "management": "management", "culture": "culture", "colleagues": "colleagues",
    "working conditions": "working_conditions", "job security": "job_security",
    "diversity and inclusion": "diversity_inclusion", "communication": "communication",
}

# German: (bare name after "Thema", with its article for lists)
_GERMAN_NAMES = {
    "salary": ("Gehalt", "das Gehalt"),
    "benefits": ("Sozialleistungen", "die Sozialleistungen"),
    "work_life_balance": ("Work-Life-Balance", "die Work-Life-Balance"),
    "career_growth": ("Karriere und Aufstieg", "die Aufstiegschancen"),
    "learning_development": ("Weiterbildung", "die Weiterbildung"),
    "management": ("Führung", "die Führung"),
    "culture": ("Unternehmenskultur", "die Unternehmenskultur"),
    "colleagues": ("Kollegen", "die Kollegen"),
    "working_conditions": ("Arbeitsbedingungen", "die Arbeitsbedingungen"),
    "job_security": ("Jobsicherheit", "die Jobsicherheit"),
    "diversity_inclusion": ("Vielfalt und Inklusion", "Vielfalt und Inklusion"),
    "communication": ("Kommunikation", "die Kommunikation"),
}

# German names that are plural nouns ("die Kollegen werden ..."), for the verb that follows.
_GERMAN_PLURAL = frozenset({"benefits", "career_growth", "colleagues", "working_conditions"})

# Who a company suits: what a strength offers and what a risk withholds.
_OFFERS = {
    "en": {
        "salary": "good pay", "benefits": "generous benefits", "work_life_balance": "a sane work-life balance",
        "career_growth": "room to grow", "learning_development": "learning on the job",
        "management": "supportive managers", "culture": "a healthy culture", "colleagues": "good colleagues",
        "working_conditions": "good working conditions", "job_security": "stability",
        "diversity_inclusion": "an inclusive workplace", "communication": "open communication",
    },
    "de": {
        "salary": "ein gutes Gehalt", "benefits": "gute Sozialleistungen",
        "work_life_balance": "eine gute Work-Life-Balance", "career_growth": "Aufstiegsmöglichkeiten",
        "learning_development": "Lernen im Job", "management": "gute Vorgesetzte",
        "culture": "eine gesunde Unternehmenskultur", "colleagues": "gute Kollegen",
        "working_conditions": "gute Arbeitsbedingungen", "job_security": "einen sicheren Arbeitsplatz",
        "diversity_inclusion": "ein inklusives Umfeld", "communication": "offene Kommunikation",
    },
}
_NEEDS = {
    "en": {
        "salary": "top pay", "benefits": "strong benefits", "work_life_balance": "predictable hours",
        "career_growth": "quick promotion", "learning_development": "structured training",
        "management": "good management", "culture": "a healthy culture", "colleagues": "a supportive team",
        "working_conditions": "good working conditions", "job_security": "job security",
        "diversity_inclusion": "an inclusive workplace", "communication": "clear communication",
    },
    "de": {
        "salary": "ein hohes Gehalt", "benefits": "gute Sozialleistungen",
        "work_life_balance": "planbare Arbeitszeiten",
        "career_growth": "schnellen Aufstieg", "learning_development": "strukturierte Weiterbildung",
        "management": "gute Führung", "culture": "eine gesunde Unternehmenskultur",
        "colleagues": "ein unterstützendes Team", "working_conditions": "gute Arbeitsbedingungen",
        "job_security": "einen sicheren Arbeitsplatz", "diversity_inclusion": "ein inklusives Umfeld",
        "communication": "klare Kommunikation",
    },
}


def _dimension_id(facts: DimensionFacts, key: str | None = None) -> str:
    return key or facts.dimension_id or _ID_BY_LABEL.get(facts.label.lower(), facts.label.lower())


def _name(facts: DimensionFacts, language: str, key: str | None = None, *, article: bool = False) -> str:
    """The dimension's name inside a sentence: "work-life balance", German "Work-Life-Balance"."""
    if language == "de":
        names = _GERMAN_NAMES.get(_dimension_id(facts, key))
        if names:
            return names[1] if article else names[0]
        return facts.label
    label = facts.label
    if label.lower() not in _ID_BY_LABEL:
        return label  # a custom taxonomy's label stays as its author wrote it (German nouns, names)
    words = label.split()
    # Lower-case the first word unless it is an acronym ("D&I", "PTO").
    if words and not (len(words[0]) > 1 and words[0].isupper()):
        label = words[0][:1].lower() + words[0][1:] + label[len(words[0]):]
    return label


_PLURAL_IDS = frozenset({"benefits", "colleagues", "working_conditions"})


def _grammar(facts: DimensionFacts, key: str | None = None) -> dict[str, str]:
    """English agreement for the dimension's name: "benefits score", "salary scores"."""
    if _dimension_id(facts, key) in _PLURAL_IDS:
        return {"it": "them", "It": "They", "s": "", "has": "have"}
    return {"it": "it", "It": "It", "s": "s", "has": "has"}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: Sequence[str], language: str) -> str:
    conj = " und " if language == "de" else " and "
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return items[0] + conj + items[1]
    return ", ".join(items[:-1]) + ("," if language == "en" else "") + conj + items[-1]


# -- change over time ------------------------------------------------------------------------------

_GERMAN_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
                  "Oktober", "November", "Dezember")
_ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December")


def trend_of(leans, dates, months: int = 12) -> Trend | None:
    """The lean of a dimension's mentions in the ``months`` up to the latest review against before.

    ``leans``: a pandas Series of per-review leans in [-1, 1] indexed by review position (one entry
    per review mentioning the dimension, as ``analysis.review_leans`` gives); ``dates``: the reviews'
    dates (strings, dates or timestamps) aligned by position. The window ends at the latest dated
    review, not today, so old data sets still compare their own recent past with what came before.
    None when dates are missing or either window has fewer than 3 mentioning reviews.
    """
    import pandas as pd

    if leans is None or dates is None or len(leans) == 0 or len(dates) == 0:
        return None
    parsed = pd.to_datetime(pd.Series(list(dates)), errors="coerce", utc=True)
    if parsed.notna().sum() == 0:
        return None
    until = parsed.max()
    start = until - pd.DateOffset(months=months)
    positions = [int(i) for i in leans.index]
    values = leans.to_numpy(dtype=float)
    recent: list[float] = []
    earlier: list[float] = []
    for position, lean in zip(positions, values):
        if position < 0 or position >= len(parsed) or pd.isna(parsed.iat[position]) or lean != lean:
            continue
        (recent if parsed.iat[position] > start else earlier).append(float(lean))
    if len(recent) < TREND_MIN_MENTIONS or len(earlier) < TREND_MIN_MENTIONS:
        return None

    def counts(window: list[float]) -> tuple[int, int, float]:
        pos = sum(v > _POLARITY_MARGIN for v in window)
        neg = sum(v < -_POLARITY_MARGIN for v in window)
        return pos, neg, (pos - neg) / len(window)

    rp, rn, rb = counts(recent)
    ep, en, eb = counts(earlier)
    month = _ENGLISH_MONTHS[until.month - 1]
    return Trend(recent_mentions=len(recent), recent_balance=rb, earlier_mentions=len(earlier), earlier_balance=eb,
                 window_label=f"the {months} months to {month} {until.year}", recent_positive=rp,
                 recent_negative=rn, earlier_positive=ep, earlier_negative=en, months=months,
                 until=until.date().isoformat())


def _trend_sentence(trend: Trend, language: str, g: dict[str, str] | None = None) -> str:
    better = trend.change > 0
    counted = None not in (trend.recent_positive, trend.recent_negative, trend.earlier_positive,
                           trend.earlier_negative)
    if language == "de":
        window = f"in den letzten {trend.months} Monaten"
        if trend.until:
            year, month = int(trend.until[:4]), int(trend.until[5:7])
            window = f"in den {trend.months} Monaten bis {_GERMAN_MONTHS[month - 1]} {year}"
        if better:
            lead = ("Zuletzt hat sich das Bild verbessert" if trend.recent_balance > 0 else
                    "Die Kritik hat zuletzt nachgelassen, überwiegt aber weiterhin")
        else:
            lead = ("Zuletzt hat sich das Bild verschlechtert" if trend.recent_balance < 0 else
                    "Das Lob ist zuletzt verhaltener geworden, überwiegt aber weiterhin")
        if counted:
            return (f"{lead}: {window} sprechen {trend.recent_mentions} Bewertungen das Thema an, "
                    f"{trend.recent_positive} positiv und {trend.recent_negative} negativ; in den "
                    f"{trend.earlier_mentions} Bewertungen davor waren es {trend.earlier_positive} positive "
                    f"und {trend.earlier_negative} negative.")
        return (f"{lead}: {window} fällt die Bilanz der {trend.recent_mentions} Bewertungen "
                f"{'besser' if better else 'schlechter'} aus als die der {trend.earlier_mentions} davor.")
    g = g or {"it": "it", "It": "It", "has": "has"}
    if better:
        lead = (f"{g['It']} {g['has']} got better recently" if trend.recent_balance > 0 else
                "Criticism has eased recently, though it still dominates")
    else:
        lead = (f"{g['It']} {g['has']} got worse recently" if trend.recent_balance < 0 else
                "Praise has cooled recently, though it still outweighs criticism")
    if counted:
        verb = "is" if trend.recent_positive == 1 else "are"
        return (f"{lead}: of the {trend.recent_mentions} reviews from {trend.window_label} that mention {g['it']}, "
                f"{trend.recent_positive} {verb} positive and {trend.recent_negative} negative, against "
                f"{trend.earlier_positive} positive and {trend.earlier_negative} negative among the "
                f"{trend.earlier_mentions} earlier ones.")
    return (f"{lead}: the {trend.recent_mentions} reviews from {trend.window_label} that mention {g['it']} lean "
            f"{'more positive' if better else 'more negative'} than the {trend.earlier_mentions} before.")


# -- the paragraph ---------------------------------------------------------------------------------

def _is_thin(facts: DimensionFacts) -> bool:
    return facts.mentions < THIN_EVIDENCE_MENTIONS or facts.basis == "inferred"


def _band(rating: float) -> int:
    """0 (poor) .. 5 (very strong), from the rating as shown."""
    r = float(fmt_rating(rating))
    return sum(r >= edge for edge in (2.6, 3.1, 3.5, 3.9, 4.3))


_BAND_EN = ("poor", "weak", "middling", "fair", "good", "very strong")
_BAND_DE = ("schlecht", "schwach", "mittelmäßig", "ordentlich", "gut", "sehr gut")
_BAND_DE_NEUTER = ("ein schlechtes", "ein schwaches", "ein mittelmäßiges", "ein ordentliches", "ein gutes",
                   "ein sehr gutes")


def _certainty(facts: DimensionFacts) -> int:
    """2 well supported, 1 reasonably firm, 0 tentative: mentions and interval width."""
    width = (9.0 if facts.interval is None
             else float(fmt_rating(facts.interval[1])) - float(fmt_rating(facts.interval[0])))
    if facts.mentions >= 15 and width <= 1.0 + 1e-9:
        return 2
    if facts.mentions >= 6 and width <= 1.3 + 1e-9:
        return 1
    return 0


def _lean(facts: DimensionFacts, language: str) -> str:
    pos, neg, mixed = facts.positive, facts.negative, facts.mixed
    judged = pos + neg
    de = language == "de"
    if judged == 0:
        return "ohne klare Tendenz" if de else "without a clear lean either way"
    if neg == 0 and mixed == 0 and pos == facts.mentions:
        return "durchweg positiv" if de else "all of them favourably"
    if pos == 0 and mixed == 0 and neg == facts.mentions:
        return "durchweg kritisch" if de else "all of them critically"
    share = pos / judged
    m = max(facts.mentions, 1)
    if share >= 0.85 and pos / m >= 0.7:
        return "fast durchweg positiv" if de else "almost all favourably"
    if share >= 0.6:
        return "überwiegend positiv" if de else "mostly favourably"
    if share > 0.4:
        return "mit geteilter Meinung" if de else "with opinion divided"
    if share > 0.15 or neg / m < 0.7:
        return "überwiegend kritisch" if de else "mostly critically"
    return "fast durchweg kritisch" if de else "almost all critically"


def _counts(facts: DimensionFacts, language: str) -> str:
    if language == "de":
        parts = [f"{facts.positive} positiv", f"{facts.negative} negativ"]
        if facts.mixed:
            parts.append(f"{facts.mixed} gemischt")
    else:
        parts = [f"{facts.positive} positive", f"{facts.negative} negative"]
        if facts.mixed:
            parts.append(f"{facts.mixed} mixed")
    return ", ".join(parts)


_SPLIT = re.compile(r"[,;:.!?()\[\]/\"\u201c\u201d\u201e]|\s[-\u2013\u2014]+\s|\s(?:and|und|plus)\s", re.IGNORECASE)
# Clauses that qualify what came before ("ok if you're on days"): never split there, a fragment
# must not cut a condition off its claim.
_QUALIFIER = re.compile(r"\s(?:if|when|unless|because|as long as|wenn|falls|solange|weil)\s", re.IGNORECASE)
_CONTRAST = re.compile(r"\s(?:but|however|though|although|yet|aber|jedoch|doch|sondern)\s", re.IGNORECASE)
# Words that give a fragment the other side's tone: such a fragment is not quoted for that side.
_POSITIVE_CUES = frozenset(
    "good great nice excellent amazing awesome friendly fair fine ok okay decent solid secure stable lovely "
    "supportive helpful generous competitive flexible best happy love gut super toll nett fair sicher "
    "freundlich klasse prima stimmt".split())
_NEGATIVE_CUES = frozenset(
    "bad poor low terrible awful horrible rubbish worst slow no not never lack lacking little nothing toxic "
    "long underpaid unfair stressful chaotic none hardly schlecht wenig kein keine nicht nie kaum mies "
    "schwach veraltet langsam".split())
_WEAK_STARTS = frozenset(
    "which who whom whose that as so also then there it its this these those because since where what "
    "though although even well der die das dass was wie".split())
_STOP = frozenset(
    "a an the is are was were be been well it its this that there they we you i my our your of to in on for with at "
    "by from very so too can could would will just also not no all some any more most much many really "
    "der die das ein eine einen ist sind war es man wir ich sehr auch nicht kein keine zu mit von im in "
    "und oder auf für bei".split()
)


def _fragment(point: Point, avoid: Sequence[str], side: str = "praise") -> str | None:
    """A short, telling part of a point (2-6 words, a clause of it), strictly shorter than the
    point itself; None when the point is too short to quote from without repeating it, or when no
    part of it reads as the point's own side."""
    text = " ".join(point.quote.split())
    words = text.split()
    if len(words) < 5:
        return None
    # "Good pay but long hours": praise quotes before the contrast, a complaint after it.
    pieces = _CONTRAST.split(text)
    if len(pieces) > 1:
        text = pieces[0] if side == "praise" else " ".join(pieces[1:])
    opposite = _NEGATIVE_CUES if side == "praise" else _POSITIVE_CUES
    own = _POSITIVE_CUES if side == "praise" else _NEGATIVE_CUES
    for position, chunk in enumerate(_SPLIT.split(text)):
        if _QUALIFIER.search(f" {chunk} "):
            continue
        chunk = chunk.strip(" '\u2019-\u2013\u2014.!?*")
        chunk_words = chunk.split()
        if not 2 <= len(chunk_words) <= 6 or len(chunk_words) > len(words) - 2:
            continue
        if not any(w.lower().strip("'\u2019") not in _STOP and w.isalpha() for w in chunk_words):
            continue
        lowered = chunk.lower()
        if any(a and a in lowered for a in avoid):
            continue
        lowered_words = [w.lower().strip("'\u2019") for w in chunk_words]
        if any(w in opposite for w in lowered_words) or lowered_words[0] in _WEAK_STARTS:
            continue
        # The opening clause names the point; a later one must carry the point's own tone.
        if position > 0 and not any(w in own for w in lowered_words):
            continue
        return chunk
    return None


def _quoted(fragment: str | None, language: str) -> str:
    if not fragment:
        return ""
    return f" (\u201e{fragment}\u201c)" if language == "de" else f" (\u201c{fragment}\u201d)"


def _side_sentence(points: Sequence[Point], side: str, leading: bool, language: str, seed, avoid,
                   fragments: bool) -> str:
    """What one side's recurring points amount to, by count, with at most short fragments."""
    points = sorted(points, key=lambda p: -p.n_reviews)[:3]
    if not points:
        return ""
    frag = [(_fragment(p, avoid, "praise" if side == "praise" else "complaints") if fragments else None)
            for p in points]
    de = language == "de"
    praise = side == "praise"
    recurring = [p for p in points if p.n_reviews >= 2]
    if de:
        noun = "Lob" if praise else "Kritik"
        item = "Punkt" if praise else "Kritikpunkt"
        if len(recurring) >= 2:
            a, b = recurring[0], recurring[1]
            fa, fb = frag[points.index(a)], frag[points.index(b)]
            opener = f"Das {noun} konzentriert sich" if praise else "Die Kritik konzentriert sich"
            if not leading:
                opener = "Auf der anderen Seite konzentriert sich " + ("das Lob" if praise else "die Kritik")
            return (f"{opener} auf zwei Punkte: Einer steht in {plural(a.n_reviews, 'Bewertung', 'Bewertungen')}"
                    f"{_quoted(fa, language)}, ein weiterer in {b.n_reviews}{_quoted(fb, language)}.")
        if recurring:
            a = recurring[0]
            fa = frag[points.index(a)]
            if leading:
                rest = ", der Rest sind Einzelstimmen" if len(points) > 1 else ""
                return (f"Ein {item} wiederholt sich: Er taucht in {plural(a.n_reviews, 'Bewertung', 'Bewertungen')} "
                        f"auf{_quoted(fa, language)}{rest}.")
            return (f"Auf der anderen Seite {'loben' if praise else 'kritisieren'} {a.n_reviews} Bewertungen "
                    f"denselben Punkt{_quoted(fa, language)}.")
        if len(points) == 1:
            return (f"{'Das Lob' if praise else 'Die Kritik'} stützt sich auf eine einzelne Bewertung"
                    f"{_quoted(frag[0], language)}.")
        return (f"{'Das Lob' if praise else 'Die Kritik'} verteilt sich auf Einzelstimmen: kein {item} "
                f"kommt in mehr als einer Bewertung vor.")
    noun = "praise" if praise else "complaint"
    nouns = "praise" if praise else "complaints"
    if len(recurring) >= 2:
        a, b = recurring[0], recurring[1]
        fa, fb = frag[points.index(a)], frag[points.index(b)]
        if a.n_reviews == b.n_reviews:
            text = (f"Two {'points of praise' if praise else 'complaints'} recur, each from {a.n_reviews} reviewers"
                    + (f"{_quoted(fa, language)}{_quoted(fb, language)}".replace(") (", "; ")))
            text += "."
            return text if leading else "On the other side, " + text[0].lower() + text[1:]
        options = (
            f"The {nouns} {'clusters' if praise else 'cluster'} around two points: "
            f"one raised by {a.n_reviews} reviewers{_quoted(fa, language)}, "
            f"the other by {b.n_reviews}{_quoted(fb, language)}.",
            f"Two {'points of praise' if praise else 'complaints'} recur, one from {a.n_reviews} reviewers"
            f"{_quoted(fa, language)} and one from {b.n_reviews}{_quoted(fb, language)}.",
        )
        text = _pick(options, *seed, side, "two")
        return text if leading else "On the other side, " + text[0].lower() + text[1:]
    if recurring:
        a = recurring[0]
        fa = frag[points.index(a)]
        if leading and len(points) == 1:
            return (f"The {nouns} come{'s' if praise else ''} down to one point, made by {a.n_reviews} reviewers"
                    f"{_quoted(fa, language)}.")
        if leading:
            options = (
                f"One {noun if not praise else 'point of praise'} recurs, made by {a.n_reviews} reviewers"
                f"{_quoted(fa, language)}; the rest are one-offs.",
                f"A single theme drives the {nouns}: {a.n_reviews} reviewers make the same point"
                f"{_quoted(fa, language)}, while other remarks come from one reviewer each.",
            )
            return _pick(options, *seed, side, "one")
        return (f"On the other side, {a.n_reviews} reviewers share one {noun if not praise else 'point of praise'}"
                f"{_quoted(fa, language)}.")
    if len(points) == 1:
        if leading:
            return f"The {nouns} rest{'s' if praise else ''} on a single reviewer's remark{_quoted(frag[0], language)}."
        return (f"{'Praise' if praise else 'Criticism'} comes from a single reviewer"
                f"{_quoted(frag[0], language)}.")
    return (f"The {nouns} {'is' if praise else 'are'} scattered: no "
            f"{'point of praise' if praise else 'complaint'} comes from more than one reviewer.")


def _of_the(k: int, m: int, language: str = "en") -> str:
    if language == "de":
        return f"alle {m}" if k == m else f"{k} der {m}"
    return f"all {m}" if k == m else f"{k} of the {m}"


def _gap_sentence(facts: DimensionFacts, language: str) -> str:
    """Where the score and the comments point different ways."""
    if facts.rating is None:
        return ""
    band = _band(facts.rating)
    pos, neg, m = facts.positive, facts.negative, facts.mentions
    judged = pos + neg
    share = pos / judged if judged else 0.5
    de = language == "de"
    g = _grammar(facts)
    harsher = neg >= 3 and ((band >= 3 and neg > pos) or (band >= 2 and share <= 0.2))
    kinder = pos >= 3 and ((band <= 1 and pos > neg) or (band <= 2 and share >= 0.8))
    if harsher:
        if de:
            return (f"Die Kommentare sind kritischer als die Note: {_of_the(neg, m, 'de')} Bewertungen, die das Thema "
                    f"ansprechen, sind negativ, die Note ist also womöglich zu freundlich.")
        return (f"The comments are harsher than the score: {_of_the(neg, m)} reviewers who raise {g['it']} are "
                f"critical, so the rating may flatter {g['it']}.")
    if kinder:
        if de:
            return (f"Die Kommentare sind freundlicher als die Note: {_of_the(pos, m, 'de')} Bewertungen, "
                    f"die das Thema ansprechen, sind positiv.")
        return (f"The comments are kinder than the score: {_of_the(pos, m)} reviewers who raise {g['it']} are "
                f"positive, so read the rating with care.")
    return ""


def _finding(facts: DimensionFacts, language: str, seed) -> str:
    name = _name(facts, language)
    m, n = facts.mentions, facts.n_reviews
    lean, counts = _lean(facts, language), _counts(facts, language)
    cert = _certainty(facts)
    if language == "de":
        discuss = (f"{m} der {n} Bewertungen {'spricht' if m == 1 else 'sprechen'} das Thema an, "
                   f"{lean} ({counts})")
        if facts.rating is None:
            return f"Beim Thema {name} gibt es keine Note. {discuss}."
        r = _num(facts.rating, language)
        interval = f" ({_interval(facts.interval, language)})" if facts.interval else ""
        cert_text = ("eine gut belegte Schätzung", "eine einigermaßen belastbare Schätzung",
                     "eine vorläufige Schätzung")[2 - cert]
        cert_adj = ("gut belegt", "einigermaßen belastbar", "vorläufig")[2 - cert]
        band = _band(facts.rating)
        options = (
            f"Beim Thema {name} fällt das Urteil {_BAND_DE[band]} aus: {r}/5{interval}, {cert_text}. {discuss}.",
            f"Das Thema {name} kommt auf {r}/5{interval}, {_BAND_DE_NEUTER[band]} Ergebnis. {discuss}; "
            f"die Schätzung ist damit {cert_adj}.",
        )
        return _pick(options, *seed, "finding")
    discuss_tail = f"{lean} ({counts})"
    g = _grammar(facts)
    it, s = g["it"], g["s"]
    if facts.rating is None:
        return (f"{_cap(name)} come{s} up in {m} of the {n} reviews, {discuss_tail}, but there is no rating "
                f"for {it}.")
    r = _num(facts.rating, language)
    interval = f" ({_interval(facts.interval, language)})" if facts.interval else ""
    band = _BAND_EN[_band(facts.rating)]
    cert_text = ("a well-supported estimate", "a reasonably firm estimate", "a tentative estimate")[2 - cert]
    cert_adj = ("well supported", "reasonably firm", "tentative")[2 - cert]
    a_band = ("an " if band[0] in "aeiou" else "a ") + band
    options = (
        f"{_cap(name)} look{s} {band} at {r}/5{interval}, {cert_text}: {m} of the {n} reviews discuss {it}, "
        f"{discuss_tail}.",
        f"At {r}/5{interval}, {name} come{s} out {band}; {m} of the {n} reviews discuss {it}, {discuss_tail}, "
        f"which makes this {cert_text}.",
        f"{_cap(name)} score{s} {r}/5{interval}, {a_band} result. {g['It']} come{s} up in {m} of the {n} reviews, "
        f"{discuss_tail}, so the estimate is {cert_adj}.",
    )
    return _pick(options, *seed, "finding")


def _thin(facts: DimensionFacts, language: str, seed) -> str:
    name = _name(facts, language)
    m, n = facts.mentions, facts.n_reviews
    de = language == "de"
    it = _grammar(facts)["it"]
    if facts.rating is None:
        if de:
            return (f"Keine der {n} Bewertungen spricht das Thema {name} an, und es gibt nichts, woraus sich "
                    f"eine Note ableiten ließe." if m == 0 else
                    f"Nur {m} der {n} Bewertungen {'spricht' if m == 1 else 'sprechen'} das Thema {name} an, "
                    f"zu wenige für eine Note.")
        return (f"None of the {n} reviews discusses {name}, and there is nothing to rate {it} from." if m == 0 else
                f"Only {m} of the {n} reviews {'mentions' if m == 1 else 'mention'} {name}, too few to rate {it}.")
    r = _num(facts.rating, language)
    interval = f" ({_interval(facts.interval, language)})" if facts.interval else ""
    if de:
        if m == 0:
            head = f"Keine der {n} Bewertungen spricht das Thema {name} an."
        else:
            head = (f"Nur {m} der {n} Bewertungen {'spricht' if m == 1 else 'sprechen'} das Thema {name} an, "
                    f"zu wenige für ein eigenes Urteil.")
        body = (f"Der Wert von {r}/5{interval} ist daher aus dem Gesamteindruck der Bewertungen abgeleitet "
                f"und unsicher.")
        parts = [head, body]
        if m:
            parts.append(_thin_lean(facts, language))
        return " ".join(p for p in parts if p)
    if m == 0:
        head = _pick((f"None of the {n} reviews discusses {name}, so",
                      f"No review among the {n} touches on {name}, so"), *seed, "thin")
    else:
        head = (f"Only {m} of the {n} reviews {'mentions' if m == 1 else 'mention'} {name}, too few to judge "
                f"{it} directly, so")
    parts = [f"{head} the {r}/5 shown{interval} is inferred from the overall tone of the reviews and is "
             f"uncertain."]
    if m:
        parts.append(_thin_lean(facts, language))
    return " ".join(p for p in parts if p)


def _thin_lean(facts: DimensionFacts, language: str) -> str:
    pos, neg, m = facts.positive, facts.negative, facts.mentions
    de = language == "de"
    if m == 1:
        if pos:
            return "Diese eine Bewertung ist positiv." if de else "The one reviewer who does is positive."
        if neg:
            return "Diese eine Bewertung ist kritisch." if de else "The one reviewer who does is critical."
        return "Diese eine Bewertung bleibt neutral." if de else "The one reviewer who does takes no clear side."
    if pos == m:
        return "Beide sind positiv." if de else "Both are positive."
    if neg == m:
        return "Beide sind kritisch." if de else "Both are critical."
    if pos and neg:
        return "Eine ist positiv, die andere kritisch." if de else "One is positive, the other critical."
    return ""


def _contains_point(text: str, points: Sequence[Point]) -> bool:
    lowered = " ".join(text.split()).lower()
    for p in points:
        quote = " ".join(p.quote.split()).strip().rstrip(".!;,").lower()
        if len(quote.split()) >= 2 and quote in lowered:
            return True
    return False


def dimension_summary(facts: DimensionFacts) -> str:
    """A short analyst's paragraph: the finding and how sure it is, what drives it, then the
    change over time or the gap between score and comments where there is one."""
    language = "de" if str(facts.language or "en").lower().startswith("de") else "en"
    seed = (facts.company, _dimension_id(facts), language)
    if facts.mentions == 0 or _is_thin(facts):
        return _thin(facts, language, seed)
    points = tuple(facts.praise) + tuple(facts.complaints)
    avoid = [" ".join(p.quote.split()).strip().rstrip(".!;,").lower() for p in points]

    def write(fragments: bool) -> str:
        parts = [_finding(facts, language, seed)]
        praise_leads = facts.positive >= facts.negative
        sides = [("praise", facts.praise), ("complaints", facts.complaints)]
        if not praise_leads:
            sides.reverse()
        first = True
        scattered = facts.praise and facts.complaints and all(
            p.n_reviews <= 1 for p in tuple(facts.praise) + tuple(facts.complaints))
        if scattered:
            parts.append("Weder Lob noch Kritik wiederholen sich: Jeder Punkt stammt aus einer einzelnen Bewertung."
                         if language == "de" else
                         "Neither the praise nor the complaints recur: each point comes from a single reviewer.")
            sides = []
        for side, side_points in sides:
            sentence = _side_sentence(side_points, side, first, language, seed, avoid, fragments)
            if sentence:
                parts.append(sentence)
                first = False
        if facts.trend is not None and facts.trend.notable:
            parts.append(_trend_sentence(facts.trend, language, _grammar(facts)))
        else:
            parts.append(_gap_sentence(facts, language))
        return " ".join(p for p in parts if p)

    text = write(fragments=True)
    if _contains_point(text, points):
        text = write(fragments=False)
    return text


def bullets(points: tuple[Point, ...], limit: int = 3, language: str = "en") -> list[str]:
    de = str(language or "en").lower().startswith("de")
    suffix = (lambda n: f" ({n} Bewertungen)") if de else (lambda n: f" ({n} reviews)")
    return [p.quote.strip() + (suffix(p.n_reviews) if p.n_reviews > 1 else "") for p in points[:limit]]


# -- the verdict -----------------------------------------------------------------------------------

def _lead(rating: float, language: str, seed) -> str:
    r = float(fmt_rating(rating))
    if language == "de":
        leads = (
            ("ein starker Arbeitgeber nach Ansicht seiner Beschäftigten",),
            ("ein guter Arbeitgeber mit einigen Schwachstellen",),
            ("ein gemischtes Bild",),
            ("mehr Kritik als Lob",),
            ("überwiegend negative Stimmen",),
        )
    else:
        leads = (
            ("a strong employer by its reviewers' account", "a well-regarded employer"),
            ("a good employer with some weak spots", "a good employer, though not without flaws"),
            ("a mixed picture", "neither a clear recommendation nor a warning"),
            ("more criticism than praise", "a place its reviewers mostly criticise"),
            ("largely negative reviews", "a place its reviewers mostly warn against"),
        )
    index = 0 if r >= 4.0 else 1 if r >= 3.5 else 2 if r >= 3.0 else 3 if r >= 2.5 else 4
    return _pick(leads[index], *seed, "lead")


def _eligible(dimensions: Mapping[str, DimensionFacts]) -> list[tuple[str, DimensionFacts]]:
    return [(key, f) for key, f in dimensions.items()
            if f.mentions >= THIN_EVIDENCE_MENTIONS and f.basis != "inferred"]


def strengths_and_risks(dimensions: Mapping[str, DimensionFacts], overall: float | None
                        ) -> tuple[list[tuple[str, DimensionFacts]], list[tuple[str, DimensionFacts]]]:
    """The dimensions a verdict may call strengths and risks: enough mentions, a mention split that
    agrees (praise clearly ahead for a strength, complaints clearly ahead for a risk) and a rating
    on the same side of the overall rating."""
    base = None if overall is None else float(fmt_rating(overall))
    strengths, risks = [], []
    for key, f in _eligible(dimensions):
        judged = f.positive + f.negative
        if not judged:
            continue
        rating = None if f.rating is None else float(fmt_rating(f.rating))
        share = f.positive / judged
        if f.positive > f.negative and share >= 0.6 and (rating is None or base is None or rating >= base):
            strengths.append((key, f))
        elif f.negative > f.positive and share <= 0.4 and (rating is None or base is None or rating <= base):
            risks.append((key, f))
    # Better-supported claims first, then the best rated / most complained about.
    strengths.sort(key=lambda kf: (_certainty(kf[1]) == 0, -(kf[1].rating or 0), -kf[1].positive))
    risks.sort(key=lambda kf: (_certainty(kf[1]) == 0, -kf[1].negative, kf[1].rating or 0))
    return strengths[:2], risks[:2]


def _of(k: int, m: int, language: str) -> str:
    if k == m:
        return f"alle {m}" if language == "de" else f"all {m}"
    return f"{k} von {m}" if language == "de" else f"{k} of {m}"


def verdict(
    company: str,
    n_reviews: int,
    rating: float | None,
    interval: tuple[float, float] | None,
    dimensions: dict[str, DimensionFacts],
    *,
    language: str = "en",
) -> str:
    """The overall verdict in two to four sentences: the overall rating, the standout strengths and
    the real risks (only dimensions with enough mentions whose split agrees), who the company suits."""
    language = "de" if str(language or "en").lower().startswith("de") else "en"
    de = language == "de"
    seed = (company, "verdict", language)
    if rating is None:
        if de:
            return (f"Zu {company} gibt es zu wenig Bewertungstext für ein Urteil "
                    f"({plural(n_reviews, 'Bewertung', 'Bewertungen')}).")
        return f"Not enough review text about {company} to reach a verdict ({plural(n_reviews, 'review')})."
    r = _num(rating, language)
    interval_text = f" ({_interval(interval, language)})" if interval else ""
    lead = _lead(rating, language, seed)
    if de:
        parts = [f"{company} kommt insgesamt auf {r}/5{interval_text} aus "
                 f"{plural(n_reviews, 'Bewertung', 'Bewertungen')}: {lead}."]
    else:
        parts = [_pick((
            f"{company} scores {r}/5 overall{interval_text} across {plural(n_reviews, 'review')}: {lead}.",
            f"{_cap(lead)}: {company} scores {r}/5 overall{interval_text} across {plural(n_reviews, 'review')}.",
        ), *seed, "open")]
    strengths, risks = strengths_and_risks(dimensions, rating)
    name = {key: _name(f, language, key, article=True) for key, f in dimensions.items()}
    if strengths:
        if de:
            items = [f"{name[k]} ({_of(f.positive, f.mentions, language)} Bewertungen dazu sind positiv)"
                     if i == 0 else f"{name[k]} ({_of(f.positive, f.mentions, language)})"
                     for i, (k, f) in enumerate(strengths)]
            singular = len(strengths) == 1 and strengths[0][0] not in _GERMAN_PLURAL
            parts.append(f"Hervorgehoben {'wird' if singular else 'werden'} {_join(items, language)}.")
        else:
            if len(strengths) == 1:
                k, f = strengths[0]
                parts.append(f"Reviewers single out {name[k]}: {_of(f.positive, f.mentions, language)} who "
                             f"mention {_grammar(f, k)['it']} are positive.")
            else:
                items = [f"{name[k]} ({_of(f.positive, f.mentions, language)} "
                         f"who mention {_grammar(f, k)['it']} are positive)"
                         if i == 0 else f"{name[k]} ({_of(f.positive, f.mentions, language)})"
                         for i, (k, f) in enumerate(strengths)]
                standout = all(f.rating is None or float(fmt_rating(f.rating)) >= 3.5 for _, f in strengths)
                parts.append(f"Its standout strengths are {_join(items, language)}." if standout else
                             f"Reviewers are most positive about {_join(items, language)}.")
    if risks:
        if de:
            if len(risks) == 1:
                k, f = risks[0]
                verb = "sind" if k in _GERMAN_PLURAL else "ist"
                parts.append(f"Das größte Risiko {verb} {name[k]}: {_of(f.negative, f.mentions, language)} "
                             f"Bewertungen dazu sind kritisch.")
            else:
                items = [f"{name[k]} ({_of(f.negative, f.mentions, language)} kritisch)" for k, f in risks]
                parts.append(f"Die größten Risiken sind {_join(items, language)}.")
        else:
            if len(risks) == 1:
                k, f = risks[0]
                parts.append(f"The real risk is {name[k]}: {_of(f.negative, f.mentions, language)} reviewers "
                             f"who raise {_grammar(f, k)['it']} are critical.")
            else:
                items = [f"{name[k]} ({_of(f.negative, f.mentions, language)} "
                         f"who raise {_grammar(f, k)['it']} are critical)"
                         if i == 0 else f"{name[k]} ({_of(f.negative, f.mentions, language)})"
                         for i, (k, f) in enumerate(risks)]
                parts.append(f"The real risks are {_join(items, language)}.")
    offers = [_OFFERS[language].get(_dimension_id(f, k)) for k, f in strengths]
    needs = [_NEEDS[language].get(_dimension_id(f, k)) for k, f in risks]
    offers, needs = [o for o in offers if o], [n for n in needs if n]
    if offers and needs:
        parts.append(
            f"Das passt zu Menschen, die Wert auf {_join(offers, language)} legen; wer {_join(needs, language)} "
            f"braucht, sollte genau hinsehen." if de else _pick((
                f"It suits people who value {_join(offers, language)}; anyone who needs {_join(needs, language)} "
                f"should look closely first.",
                f"A good fit for someone after {_join(offers, language)}, less so for anyone who needs "
                f"{_join(needs, language)}.",
            ), *seed, "suits"))
    elif offers:
        parts.append(f"Das passt zu Menschen, die Wert auf {_join(offers, language)} legen." if de else
                     f"It suits people who value {_join(offers, language)}.")
    elif needs:
        parts.append(f"Wer {_join(needs, language)} braucht, sollte genau hinsehen." if de else
                     f"Anyone who needs {_join(needs, language)} should look closely first.")
    if not strengths and not risks:
        parts.append("Kein Thema sticht mit genug Belegen in die eine oder andere Richtung heraus." if de else
                     "No single topic stands out either way with enough evidence behind it.")
    return " ".join(parts)
