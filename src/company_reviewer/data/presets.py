"""Presets: map a platform's raw columns onto the canonical review columns.

:meth:`Preset.to_canonical` returns a frame with, in this order:

* every name in ``CANONICAL_COLUMNS`` (``str``, ``""`` when missing); ``date`` ISO ``yyyy-mm-dd``
  where it parsed (else as given, for validation to quarantine); ratings keep their text, a decimal
  comma turned into a point;
* ``rating__<name>``: platform sub-ratings (strings), then ``attr__<name>``: other platform
  attributes such as ``attr__recommend``, each group sorted by name;
* ``_row`` (int), ``_error`` and ``_raw_line`` passed through from the reader (``""`` if absent),
  and ``_raw``: the original row (source columns and ``_group``) as a compact JSON object string,
  or, for a row the reader could not parse (``_error`` set), its raw text from ``_raw_line``;
* ``_invalid``, only when the reader saw nested values: ``""``, or why the row cannot be a review
  although it was read: a canonical field
  or sub-rating taken from a nested JSON value (an object, or a list; a list of plain values in a
  text field is joined one per line instead).

Source columns match case- and punctuation-insensitively ("Work/Life Balance" = ``work_life_balance``
= ``workLifeBalance``). Columns named ``rating__x``/``attr__x`` pass through under every preset.
Sub-rating names are shared across platforms where the meaning is the same: work_life_balance,
culture_values, comp_benefits, career_opportunities.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from company_reviewer import registry
from company_reviewer.data.clean import normalize_dates, normalize_ratings
from company_reviewer.data.records import CANONICAL_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

RATING_PREFIX, ATTR_PREFIX = "rating__", "attr__"
PASS_THROUGH = ("_row", "_error", "_raw_line")
NESTED, INVALID = "_nested", "_invalid"
Candidates = Mapping[str, tuple[str, ...]]


def _norm(name: object) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


@dataclass(frozen=True)
class Preset:
    """How one platform's export maps onto canonical columns.

    ``fields``/``sub_ratings``/``attributes`` list candidate source columns per target (first
    present wins; the canonical name itself is always the first candidate for ``fields``).
    ``markers`` are normalised column names that identify the platform for auto-detection.
    ``prepare`` rewrites the raw frame before mapping; ``finish(raw, out)`` fixes the result.
    """

    name: str
    description: str
    default_source: str
    fields: Candidates = field(default_factory=dict)
    sub_ratings: Candidates = field(default_factory=dict)
    attributes: Candidates = field(default_factory=dict)
    markers: frozenset[str] = frozenset()
    rating_prefix: str | None = None  # source columns "<prefix><name>" become rating__<name>
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    finish: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None

    def to_canonical(self, frame: pd.DataFrame, source: str | None = None, *, company: str | None = None,
                     user_mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
        """The canonical frame for ``frame`` (see the module docstring for its columns).

        ``source``/``company``, when given, override every row. ``user_mapping`` (canonical field
        -> source column, also ``rating__x``/``attr__x`` targets) overrides the preset.
        """
        return _map_frame(self, frame, source, company, user_mapping or {})


def validate_user_mapping(user_mapping: Mapping[str, str], columns: Iterable[object]) -> None:
    """Raise ValueError naming the valid choices when a target or a source column is unknown."""
    available = [str(c) for c in columns if not str(c).startswith("_")]
    for target, column in user_mapping.items():
        if target not in CANONICAL_COLUMNS and not re.fullmatch(r"(rating|attr)__[a-z0-9_]+", target):
            raise ValueError(f"unknown canonical field {target!r} in the column mapping; valid fields: "
                             f"{', '.join(CANONICAL_COLUMNS)} (or rating__<name> / attr__<name>)")
        if column not in available:
            raise ValueError(f"column {column!r} (mapped to {target!r}) is not in the file; its columns "
                             f"are: {', '.join(available)}")


def _pick(lookup: Mapping[str, str], candidates: Iterable[str]) -> str | None:
    return next((lookup[_norm(c)] for c in candidates if _norm(c) in lookup), None)


def _blank(frame: pd.DataFrame) -> pd.Series:
    import pandas as pd

    return pd.Series("", index=frame.index, dtype="str")


def _as_str(values: pd.Series) -> pd.Series:
    return values.astype("str").fillna("")


def _raw_json(frame: pd.DataFrame) -> pd.Series:
    import pandas as pd

    columns = [c for c in frame.columns if not str(c).startswith("_") or c == "_group"]
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
    keys = [str(c) for c in columns]
    # Twice as fast as DataFrame.to_json(lines=True), and without its "\/" escaping.
    values = zip(*(frame[c].astype("str").fillna("").tolist() for c in columns)) if columns else ()
    lines = [encode(dict(zip(keys, row))) for row in values] or ["{}"] * len(frame)
    return pd.Series(lines, index=frame.index, dtype="str")


def _map_frame(preset: Preset, frame: pd.DataFrame, source: str | None, company: str | None,
               user_mapping: Mapping[str, str]) -> pd.DataFrame:
    import pandas as pd

    validate_user_mapping(user_mapping, frame.columns)
    frame = frame.reset_index(drop=True)  # positional alignment below, whatever index came in
    raw = preset.prepare(frame) if preset.prepare else frame
    # Reversed so that the first of two columns with the same normalised name wins.
    lookup = {_norm(c): c for c in reversed(raw.columns) if not str(c).startswith("_")}
    out: dict[str, pd.Series] = {}
    picked: dict[str, str] = {}  # target -> the source column it came from
    for target in CANONICAL_COLUMNS:
        column = _pick(lookup, (target, *preset.fields.get(target, ())))
        out[target] = _as_str(raw[column]) if column is not None else _blank(raw)
        if column is not None:
            picked[target] = column
    for prefix, table in ((RATING_PREFIX, preset.sub_ratings), (ATTR_PREFIX, preset.attributes)):
        for name, candidates in table.items():
            column = _pick(lookup, candidates)
            if column is not None:
                out[prefix + name] = _as_str(raw[column])
                picked[prefix + name] = column
    for column in raw.columns:
        name = str(column)
        if name.startswith((RATING_PREFIX, ATTR_PREFIX)):
            out[name] = _as_str(raw[column])
            picked[name] = column
        elif preset.rating_prefix and name.startswith(preset.rating_prefix) and name != "rating_overall":
            if RATING_PREFIX + name[len(preset.rating_prefix):] not in out:
                out[RATING_PREFIX + name[len(preset.rating_prefix):]] = _as_str(raw[column])
                picked[RATING_PREFIX + name[len(preset.rating_prefix):]] = column
    result = pd.DataFrame(out, index=raw.index)
    if preset.finish:
        result = preset.finish(raw, result)
    for target, column in user_mapping.items():
        result[target] = _as_str(frame[column])
        picked[target] = column
    invalid = _nested_values(frame, result, picked)
    result = _finalise(preset, frame, result, source, company)
    if invalid is not None:  # only when the reader saw nested values: most frames have no such column
        result[INVALID] = invalid
    return result


def _nested_values(frame: pd.DataFrame, result: pd.DataFrame, picked: Mapping[str, str]) -> pd.Series | None:
    """Rows whose canonical field or sub-rating comes from a nested JSON value: the reason (in
    ``result``'s index order); a list of plain values in a text field is joined one per line in
    ``result`` instead. None when the reader saw no nested value."""
    import pandas as pd

    if NESTED not in frame or not (frame[NESTED] != "").any():
        return None
    from company_reviewer.data.records import TEXT_FIELDS

    reasons = [""] * len(frame)
    checked = {target: column for target, column in picked.items() if not target.startswith(ATTR_PREFIX)}
    for i, listed in enumerate(frame[NESTED].tolist()):
        if not listed:
            continue
        nested = set(json.loads(listed))
        for target, column in checked.items():
            if column not in nested or target not in result:
                continue
            value = json.loads(frame[column].iat[i])
            if (target in TEXT_FIELDS and isinstance(value, list)
                    and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value)):
                result.iat[i, result.columns.get_loc(target)] = "\n".join(str(v) for v in value)
                continue
            kind = "an object" if isinstance(value, dict) else "a list"
            reasons[i] = (f"{target}: column {column!r} holds {kind} (nested JSON), not a single value; "
                          f"flatten it or map another column with --map {target}=COLUMN")
            break
    return pd.Series(reasons, index=result.index, dtype="str")


def _finalise(preset: Preset, frame: pd.DataFrame, result: pd.DataFrame, source: str | None,
              company: str | None) -> pd.DataFrame:
    import pandas as pd

    result["source"] = result["source"].str.strip().replace("", preset.default_source)
    if source is not None:
        result["source"] = source
    if company is not None:
        result["company"] = company
    result["date"] = normalize_dates(result["date"])
    ratings = ["rating_overall", *(c for c in result.columns if c.startswith(RATING_PREFIX))]
    for column in ratings:
        result[column] = normalize_ratings(result[column])
    extra = sorted(c for c in result.columns if c.startswith(RATING_PREFIX))
    extra += sorted(c for c in result.columns if c.startswith(ATTR_PREFIX))
    result = result[[*CANONICAL_COLUMNS, *extra]].astype("str")
    rows = frame["_row"] if "_row" in frame else pd.Series(range(1, len(frame) + 1), index=frame.index)
    result["_row"] = rows.astype("int64")
    for column in PASS_THROUGH[1:]:
        result[column] = _as_str(frame[column]) if column in frame else _blank(frame)
    # A row the reader could not parse has no columns worth showing: its raw text is the evidence.
    result["_raw"] = _raw_json(frame).mask((result["_error"] != "") & (result["_raw_line"] != ""),
                                           result["_raw_line"])
    return result


# --- platform quirks ---------------------------------------------------------------------------

def _blank_values(frame: pd.DataFrame, values: Iterable[str],
                  columns: Iterable[str] | None = None) -> pd.DataFrame:
    out = frame.copy()
    wanted = set(values)
    for column in columns if columns is not None else out.columns:
        if column in out and not str(column).startswith("_"):
            text = _as_str(out[column])
            out[column] = text.mask(text.str.strip().isin(wanted), "")
    return out


def _indeed_prepare(frame: pd.DataFrame) -> pd.DataFrame:
    return _blank_values(frame, {"MISS"})  # the scraper's marker for a missing value


_REVIEWER = (r"^(?P<job>.*?)\s*\((?P<status>(?:Current|Former)[^)]*)\)\s*(?:-\s*(?P<location>.*?))?"
             r"\s*(?:-\s*(?P<date>[A-Z][a-z]+ \d{1,2}, \d{4}))?\s*$")


def _indeed_finish(raw: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    ratings = ["rating_overall", *(c for c in out.columns if c.startswith(RATING_PREFIX))]
    out = _blank_values(out, {"0", "0.0", "0,0"}, ratings)  # 0 stars = not rated
    reviewer = next((c for c in raw.columns if _norm(c) in ("reviewer", "author", "reviewerinfo")), None)
    if reviewer is not None:  # "Job (Current Employee) - City, ST - May 2, 2019"
        parts = _as_str(raw[reviewer]).str.extract(_REVIEWER).fillna("")
        for target, part in (("job_title", "job"), ("employee_status", "status"), ("location", "location"),
                             ("date", "date")):
            out[target] = out[target].mask(out[target] == "", parts[part].astype("str"))
    return out


# The 13 standard kununu categories plus the trainee ones, in kununu's order: the review text
# lists the answered ones in this order whichever file (flat or raw) they came from.
KUNUNU_PROS, KUNUNU_CONS, KUNUNU_ADVICE = ("Gut am Arbeitgeber finde ich", "Schlecht am Arbeitgeber finde ich",
                                           "Verbesserungsvorschläge")
KUNUNU_CATEGORIES: tuple[str, ...] = (
    "Arbeitsatmosphäre", "Karrierechancen", "Arbeitszeiten", "Ausbildungsvergütung", "Die Ausbilder",
    "Spaßfaktor", "Aufgaben/Tätigkeiten", "Variation", "Respekt", "Work-Life-Balance", "Kollegenzusammenhalt",
    "Vorgesetztenverhalten", "Kommunikation", "Image", "Karriere/Weiterbildung", "Arbeitsbedingungen",
    "Gehalt/Sozialleistungen", "Interessante Aufgaben", "Umgang mit älteren Kollegen", "Gleichberechtigung",
    "Umwelt-/Sozialbewusstsein",
)
_KUNUNU_POSITION_JOB = r"(?:Ausbildung zu[mr]/zu[mr] |im Bereich )(?P<job>.+?) bei "
_KUNUNU_POSITION_LOCATION = r"\bbei .+ in (?P<location>.+?) (?:gearbeitet|absolviert|gemacht)\b"


def _parse_subcategories(value: str) -> dict[str, str]:
    """kununu's ``[{category: answer}, ...]``; a Python-repr list (pandas to_csv of a list) too."""
    try:  # an empty value fails both parsers and gives {}
        items = json.loads(value)
    except json.JSONDecodeError:
        try:
            items = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return {}
    merged: dict[str, str] = {}
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict):
            merged.update({str(k): str(v) for k, v in item.items() if v is not None})
    return merged


def _kununu_prepare(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    if "subcategories" not in frame:
        return frame
    parsed = [_parse_subcategories(value) for value in _as_str(frame["subcategories"])]
    answers = pd.DataFrame(parsed, index=frame.index).fillna("").astype("str")
    answers.columns = [f"text_{c}" for c in answers.columns]
    return pd.concat([frame.drop(columns=[c for c in answers.columns if c in frame]), answers], axis=1)


def _kununu_finish(raw: pd.DataFrame, out: pd.DataFrame) -> pd.DataFrame:
    answers = {str(c)[5:]: _as_str(raw[c]).str.strip() for c in raw.columns if str(c).startswith("text_")}
    for target, category in (("pros", KUNUNU_PROS), ("cons", KUNUNU_CONS), ("advice", KUNUNU_ADVICE)):
        if category in answers:
            out[target] = answers.pop(category)
    order = [c for c in KUNUNU_CATEGORIES if c in answers] + sorted(set(answers) - set(KUNUNU_CATEGORIES))
    text = _blank(out)
    for category in order:
        line = (category + ": " + answers[category]).where(answers[category] != "", "")
        text = text + line.where((text == "") | (line == ""), "\n" + line)
    out["text"] = text.astype("str")
    year = next((c for c in raw.columns if _norm(c) == "year"), None)
    month = next((c for c in raw.columns if _norm(c) == "month"), None)
    if year is not None and month is not None:
        y, m = _as_str(raw[year]).str.strip(), _as_str(raw[month]).str.strip().str.zfill(2)
        ok = y.str.fullmatch(r"\d{4}") & m.str.fullmatch(r"0?[1-9]|1[0-2]")
        out["date"] = out["date"].mask(ok, y + "-" + m + "-01")
    position = next((c for c in raw.columns if _norm(c) == "position"), None)
    if position is not None:
        text_pos = _as_str(raw[position])
        out["job_title"] = text_pos.str.extract(_KUNUNU_POSITION_JOB)["job"].fillna("").astype("str")
        out["location"] = text_pos.str.extract(_KUNUNU_POSITION_LOCATION)["location"].fillna("").astype("str")
    url = next((c for c in ("kununu_url", "kn_url", "_group") if c in raw), None)
    if url is not None:  # the raw export has no company name: fall back to the URL's company slug
        slug = _as_str(raw[url]).str.extract(r"kununu\.com/[a-z]{2}/([^/?#]+)")[0].fillna("").astype("str")
        out["company"] = out["company"].mask(out["company"] == "", slug)
        out["attr__kununu_url"] = _as_str(raw[url])
    out["language"] = out["language"].mask(out["language"] == "", "de")
    return out


# --- the presets and their registry ------------------------------------------------------------

def _markers(*names: str) -> frozenset[str]:
    return frozenset(_norm(name) for name in names)


CANONICAL = Preset(
    name="canonical", default_source="unknown",
    description="Columns already named as the canonical fields (company, headline, pros, ...); "
                "rating__x / attr__x columns pass through.")

GLASSDOOR = Preset(
    name="glassdoor", default_source="glassdoor", rating_prefix="rating_",
    description="Glassdoor: the shared normalized schema (rating_* sub-ratings; recommend, ceo_approval, "
                "business_outlook) and common raw exports (Kaggle 'Glassdoor Job Reviews', Apify).",
    fields={"company": ("firm", "employer", "employer_name", "company_name"),
            "review_id": ("reviewId", "id"), "date": ("date_review", "reviewDateTime", "review_date"),
            "job_title": ("jobTitle",), "employee_status": ("current", "employmentStatus", "status"),
            "rating_overall": ("overall_rating", "ratingOverall", "rating"),
            "headline": ("summary", "title", "review_title"),
            "advice": ("advice_to_management", "adviceToManagement")},
    sub_ratings={"work_life_balance": ("work_life_balance", "ratingWorkLifeBalance"),
                 "culture_values": ("culture_values", "ratingCultureAndValues"),
                 "diversity_inclusion": ("diversity_inclusion", "ratingDiversityAndInclusion"),
                 "career_opportunities": ("career_opp", "career_opportunities", "ratingCareerOpportunities"),
                 "comp_benefits": ("comp_benefits", "ratingCompensationAndBenefits"),
                 "senior_management": ("senior_mgmt", "senior_management", "ratingSeniorLeadership")},
    attributes={"recommend": ("recommend", "ratingRecommendToFriend"),
                "ceo_approval": ("ceo_approval", "ceo_approv", "ratingCeo"),
                "business_outlook": ("business_outlook", "outlook", "ratingBusinessOutlook")},
    markers=_markers("ceo_approval", "ceo_approv", "business_outlook", "outlook", "recommend", "firm",
                     "date_review", "senior_mgmt", "career_opp", "advice_to_management", "ratingCeo",
                     "rating_work_life_balance", "rating_culture_values", "rating_senior_management",
                     "ratingBusinessOutlook"))

INDEED = Preset(
    name="indeed", default_source="indeed", prepare=_indeed_prepare, finish=_indeed_finish,
    description="Indeed: title/text (or Review)/pros/cons, rating and the five Indeed sub-ratings; 'MISS' "
                "and a 0 rating mean missing; a 'Reviewer' column is split into job/status/location/date.",
    fields={"company": ("company_name", "firm", "employer", "organisation", "organization"),
            "review_id": ("id", "reviewId"), "date": ("review_date", "date_posted", "reviewDate"),
            "job_title": ("position", "jobTitle", "job", "role"),
            "employee_status": ("status", "employment_status", "employee_type"),
            "location": ("reviewer_location", "city"), "rating_overall": ("rating", "overall_rating", "stars"),
            "headline": ("title", "review_title", "summary"),
            "text": ("review", "review_text", "description", "content", "body"),
            "pros": ("review_pros",), "cons": ("review_cons",)},
    sub_ratings={"work_life_balance": ("work_life_balance", "worklife_balance"),
                 "comp_benefits": ("compensation_benefits", "pay_benefits", "compensation_and_benefits"),
                 "job_security_advancement": ("jobSecurity_advancement", "job_security_and_advancement"),
                 "management": ("management",),
                 "culture_values": ("culture_value", "culture_values", "culture")},
    attributes={"year": ("year",), "helpful": ("helpful", "helpful_count")},
    markers=_markers("jobSecurity_advancement", "job_security_and_advancement", "culture_value",
                     "compensation_benefits", "pay_benefits", "reviewer", "review", "review_text"))

AMBITIONBOX = Preset(
    name="ambitionbox", default_source="ambitionbox",
    description="AmbitionBox: Title, Likes (pros), Dislikes (cons), additional comments (text), overall "
                "rating and sub-ratings (work-life balance, salary & benefits, job security, ...).",
    fields={"company": ("company_name",), "review_id": ("id", "reviewId"),
            "date": ("review_date", "posted_on", "created_on"),
            "job_title": ("designation", "profile", "job_profile", "role"),
            "employee_status": ("employment_status", "status", "employee_type"),
            "location": ("place", "city", "job_location"), "rating_overall": ("overall_rating", "rating"),
            "headline": ("title", "review_title"), "pros": ("likes",), "cons": ("dislikes",),
            "text": ("additional_comments", "comments")},
    sub_ratings={"work_life_balance": ("work_life_balance",),
                 "comp_benefits": ("salary_and_benefits", "salary_benefits", "salary"),
                 "job_security": ("job_security",), "culture_values": ("company_culture", "culture"),
                 "skill_development": ("skill_development", "skill_development_learning"),
                 "work_satisfaction": ("work_satisfaction",),
                 "career_opportunities": ("career_growth",),
                 "promotions_appraisal": ("promotions_and_appraisal", "promotions_appraisal")},
    attributes={"department": ("department",), "job_type": ("job_type", "employment_type")},
    markers=_markers("likes", "dislikes", "salary_and_benefits", "skill_development", "job_security",
                     "company_culture", "work_satisfaction", "promotions_and_appraisal", "career_growth",
                     "place", "job_type", "additional_comments"))

KUNUNU = Preset(
    name="kununu", default_source="kununu", prepare=_kununu_prepare, finish=_kununu_finish,
    description="kununu (DACH): flat text_<category> columns or the raw subcategories list; pros/cons/"
                "advice from the 'Gut/Schlecht am Arbeitgeber'/'Verbesserungsvorschläge' answers, the other "
                "categories as 'Category: answer' lines in text; language de.",
    fields={"headline": ("title",), "rating_overall": ("overall_score", "score"),
            "employee_status": ("employee_type",)},
    markers=_markers("overall_score", "subcategories", "kn_url", "kununu_url", "employee_type",
                     *(f"text_{c}" for c in (KUNUNU_PROS, KUNUNU_CONS, KUNUNU_ADVICE))))

# The presets are registered under ``company_reviewer.presets`` (pyproject.toml). Detection breaks
# ties by list order: the built-ins in this order, then plugins' presets by name.
BUILTIN_ORDER = ("canonical", "glassdoor", "indeed", "ambitionbox", "kununu")


def list_presets() -> list[Preset]:
    """Every preset, ``canonical`` first."""
    names = sorted(registry.presets.names(),
                   key=lambda n: BUILTIN_ORDER.index(n) if n in BUILTIN_ORDER else len(BUILTIN_ORDER))
    return [registry.presets.get(name) for name in names]


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ValueError listing the known names otherwise."""
    return registry.presets.get(name.strip().lower())


def detect_preset(columns: Iterable[object]) -> str:
    """The preset whose marker columns the file has most of; ``canonical`` when none has any but
    canonical columns are present. ValueError when nothing fits."""
    names = {_norm(c) for c in columns if not str(c).startswith("_")}
    scores = {preset.name: len(names & preset.markers) for preset in list_presets() if preset.markers}
    best = max(scores, key=lambda name: scores[name])  # ties go to the earlier preset
    if scores[best] > 0:
        return best
    if names & {_norm(c) for c in ("company", "headline", "pros", "cons", "advice", "text")}:
        return "canonical"
    shown = [str(c) for c in columns if not str(c).startswith("_")]
    raise ValueError(f"cannot tell which platform these columns come from ({', '.join(shown) or 'none'}): "
                     "none is a review field (expected company and at least one of headline, pros, cons, "
                     f"advice, text); pass --preset ({', '.join(registry.presets.names())}) or map columns with "
                     "--map field=column")


def to_canonical(frame: pd.DataFrame, preset: str = "auto", source: str | None = None, *,
                 company: str | None = None, user_mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` mapped by the named preset, or by the detected one when ``preset="auto"``."""
    name = detect_preset(frame.columns) if preset == "auto" else preset
    return get_preset(name).to_canonical(frame, source, company=company, user_mapping=user_mapping)
