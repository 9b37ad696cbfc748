"""Labeling functions: small, named, pure functions that vote on one opinion unit or abstain.

Two tasks, in snorkel's shape:

* **dimension** - an LF returns the index of a taxonomy dimension, :data:`ABSTAIN` (-1), or the
  extra index ``len(taxonomy)`` meaning "this unit is about no dimension" (see
  :func:`no_dimension_label`). Most LFs are tied to one dimension (``kw_salary`` only ever says
  "salary"); a few choose among all of them (``emb_nearest``) or say "none" (``none_generic``).
  :mod:`.label_model` turns these votes into one binary problem per dimension, because a unit
  may talk about several dimensions at once.
* **polarity** - :data:`POSITIVE`, :data:`NEGATIVE` or :data:`ABSTAIN`.

Every LF has a per-unit function (``lf(unit)``) and a batch function over many units (used by the
backends). Both run the same code: the batch path scans the texts of one language joined by
newlines with a single ``finditer`` per pattern and maps matches back to units, so it is
vectorised without a Python loop per unit, and the per-unit path is that scan on one text.

The LFs never read a unit's kununu category: on the kununu gold set that category *is* the gold
label. A unit's field (pros/cons) is used, for polarity only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from company_reviewer.labeling import patterns as P
from company_reviewer.taxonomy import Taxonomy

ABSTAIN = -1
NEGATIVE = 0
POSITIVE = 1
LANGUAGES: tuple[str, ...] = ("en", "de")

# German seeds matched only as whole words: as prefixes or inside compounds they mean something
# else ("alter" in "alternativ", "chef" in "Chefarzt", "lohn" in "lohnt sich").
_DE_EXACT = frozenset({"alter", "chef", "team", "teams", "werte", "lohn", "klima", "tarif", "politik",
                       "obst", "familie", "kurse", "stabil", "leitung", "lernen"})
# German seeds matched at a word start but not inside a word ("Einführung" is no "führung").
_DE_NO_INFIX = frozenset({"führung", "sicherheit", "management", "manager", "technik", "software",
                          "ausbildung", "informationen", "zusammenarbeit", "arbeitsplatz", "austausch",
                          "perspektive", "perspektiven", "entwicklungsmöglichkeiten", "unterstützung"})


@dataclass(frozen=True)
class Unit:
    """What an LF sees of an opinion unit: its text, field, language and (optional) embedding."""

    text: str
    field: str = "text"
    language: str = "en"
    vector: np.ndarray | None = None


@dataclass(frozen=True)
class Batch:
    """Many units at once, as the backends hand them to batch LFs (parallel sequences)."""

    texts: Sequence[str]
    fields: np.ndarray
    languages: np.ndarray
    vectors: np.ndarray | None = None
    # Joined texts per language, built once per batch and shared by every pattern LF.
    _joined: dict[str, "Joined"] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.texts)

    def joined(self, language: str) -> "Joined":
        """The units of one pattern language, joined for scanning (cached)."""
        if language not in self._joined:
            index = np.flatnonzero(np.asarray(self.languages) == language)
            self._joined[language] = Joined.of([self.texts[i] for i in index], index)
        return self._joined[language]

    @classmethod
    def of(cls, units: Sequence[Unit]) -> "Batch":
        vectors = None
        if units and all(u.vector is not None for u in units):
            vectors = np.vstack([u.vector for u in units])
        return cls(texts=[u.text for u in units], fields=np.array([u.field for u in units], dtype=object),
                   languages=np.array([pattern_language(u.language) for u in units], dtype=object),
                   vectors=vectors)


@dataclass(frozen=True, eq=False)
class LabelingFunction:
    """A named labeling function.

    ``batch`` computes the votes of a whole :class:`Batch`; the per-unit call runs it on a batch
    of one, so both paths agree by construction. ``targets`` are the labels it can emit (used to
    build the per-dimension views of the label matrix); ``needs_vectors`` asks the applier for
    unit embeddings.
    """

    name: str
    task: str
    family: str
    targets: frozenset[int]
    batch: Callable[[Batch], np.ndarray]
    needs_vectors: bool = False
    resources: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __call__(self, unit: Unit) -> int:
        return int(self.batch(Batch.of([unit]))[0])


def pattern_language(language: object) -> str:
    """The pattern set a unit uses: German for ``de*``, English for everything else."""
    return "de" if isinstance(language, str) and language.lower().startswith("de") else "en"


_GERMAN_HINT = re.compile(r"[äöüß]|\b(?:und|der|die|das|ist|nicht|sehr|mit|für|ein|eine|ich|wir|sind|"
                          r"auch|werden|wird|gibt|kein|keine|zu|den|dem|bei|man|es|sich)\b")


def guess_languages(texts: Sequence[str]) -> np.ndarray:
    """A cheap per-unit guess, ``"de"`` or ``"en"``, for frames without a language column.

    Two German function words or umlauts make a unit German; English units share almost none.
    """
    counts = match_counts(_GERMAN_HINT, texts)
    return np.where(counts >= 2, "de", "en").astype(object)


# -- the vectorised scan ----------------------------------------------------------------------
@dataclass(frozen=True)
class Joined:
    """Texts lower-cased and joined by newlines, with each text's start offset.

    Patterns are written in lower case and compiled without ``re.IGNORECASE``: matching
    lower-cased text is several times faster. A text whose lower-case form has another length
    (a handful of Unicode letters) is kept as it is, so offsets always map back. Newlines inside
    a text become spaces, so with ``re.MULTILINE`` ``^``/``$`` anchor at unit boundaries.
    """

    text: str
    starts: np.ndarray
    index: np.ndarray

    @classmethod
    def of(cls, texts: Sequence[str], index: np.ndarray | None = None) -> "Joined":
        clean = []
        for text in texts:
            if "\n" in text or "\r" in text:
                text = text.replace("\n", " ").replace("\r", " ")
            lower = text.lower()
            clean.append(lower if len(lower) == len(text) else text)
        lengths = np.fromiter((len(t) + 1 for t in clean), dtype=np.int64, count=len(clean))
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) if clean else np.zeros(0, np.int64)
        return cls("\n".join(clean), starts, np.arange(len(clean)) if index is None else np.asarray(index))

    def unit_of(self, position: int) -> int:
        return int(np.searchsorted(self.starts, position, side="right") - 1)

    def counts(self, pattern: re.Pattern[str]) -> np.ndarray:
        """How often ``pattern`` matches in each text: one scan over all of them."""
        out = np.zeros(len(self.starts), dtype=np.int64)
        positions = [m.start() for m in pattern.finditer(self.text)]
        if positions:
            np.add.at(out, np.searchsorted(self.starts, positions, side="right") - 1, 1)
        return out


def match_counts(pattern: re.Pattern[str], texts: Sequence[str]) -> np.ndarray:
    """How often ``pattern`` (lower case) matches in each text."""
    return Joined.of(texts).counts(pattern)


def _branches(pattern: str) -> list[str]:
    """The top-level alternatives of a regex (``|`` outside groups and character classes)."""
    out, current, depth, in_class, i = [], "", 0, False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            current += pattern[i:i + 2]
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            out.append(current)
            current, i = "", i + 1
            continue
        current += char
        i += 1
    return [*out, current]


def combine_patterns(patterns: Sequence[str]) -> str:
    """One regex for a list of patterns, with the leading ``\\b`` of alternatives factored out.

    ``\\b(?:a|b|c)`` fails fast inside words; ``(?:\\ba)|(?:\\bb)|(?:\\bc)`` makes the engine
    try every alternative at every position (up to 14x slower on the salary cues).
    """
    branches = [b for p in patterns for b in _branches(p)]
    lead = [b[2:] for b in branches if b.startswith(r"\b")]
    rest = [f"(?:{b})" for b in branches if not b.startswith(r"\b")]
    return "|".join(([rf"\b(?:{'|'.join(lead)})"] if lead else []) + rest)


def pattern_lf(name: str, label: int, patterns: Mapping[str, Sequence[str]], *, task: str, family: str,
               targets: frozenset[int] | None = None) -> LabelingFunction:
    """An LF voting ``label`` when any pattern of the unit's language matches, else abstaining."""
    compiled = {lang: re.compile(combine_patterns(ps), re.MULTILINE) for lang, ps in patterns.items() if ps}

    def batch(b: Batch) -> np.ndarray:
        out = np.full(len(b), ABSTAIN, dtype=np.int64)
        for language, pattern in compiled.items():
            joined = b.joined(language)
            if len(joined.index):
                out[joined.index[joined.counts(pattern) > 0]] = label
        return out

    return LabelingFunction(name, task, family, targets or frozenset({label}), batch,
                            resources={"patterns": compiled})


def seed_regex(seeds: Sequence[str], language: str) -> str:
    """One pattern matching the seed words: whole words in English, compound parts in German.

    Seeds are grouped by how they match so each group shares one boundary check; a check per
    alternative makes the regex engine try every seed at every position (about 6x slower).
    """
    groups: dict[str, list[str]] = {"exact": [], "prefix": [], "infix": []}
    for seed in sorted(set(seeds), key=len, reverse=True):
        body = r"[- ]?".join(re.escape(w) for w in re.split(r"[ -]+", seed.strip().lower()) if w)
        if not body:
            continue
        if language == "de" and seed not in _DE_EXACT and len(seed) >= 4:
            # Compounds: "gehalt" also in "Gehaltserhöhung" (prefix) and "Grundgehalt" (infix).
            groups["infix" if len(seed) >= 6 and seed not in _DE_NO_INFIX else "prefix"].append(body)
        else:
            groups["exact"].append(body)
    parts = []
    if groups["exact"]:
        parts.append(rf"(?<!\w)(?:{'|'.join(groups['exact'])})(?!\w)")
    if groups["prefix"]:
        parts.append(rf"(?<!\w)(?:{'|'.join(groups['prefix'])})")
    if groups["infix"]:
        parts.append(f"(?:{'|'.join(groups['infix'])})")
    return "|".join(parts) or r"(?!x)x"


def keyword_lfs(taxonomy: Taxonomy) -> list[LabelingFunction]:
    """Family (a): one LF per dimension matching its taxonomy seeds of the unit's language."""
    lfs = []
    for index, dimension in enumerate(taxonomy):
        patterns = {lang: [seed_regex(dimension.seed_terms(lang), lang)] for lang in LANGUAGES
                    if dimension.seed_terms(lang)}
        lfs.append(pattern_lf(f"kw_{dimension.id}", index, patterns, task="dimension", family="keyword"))
    return lfs


def regex_lfs(taxonomy: Taxonomy) -> list[LabelingFunction]:
    """Family (b): one LF per dimension with the hand-written patterns of :mod:`.patterns`."""
    return [pattern_lf(f"re_{d.id}", i, P.DIMENSION_PATTERNS[d.id], task="dimension", family="regex")
            for i, d in enumerate(taxonomy) if d.id in P.DIMENSION_PATTERNS]


def no_dimension_label(taxonomy: Taxonomy) -> int:
    """The extra label index that means "about no dimension"."""
    return len(taxonomy)


def none_lfs(taxonomy: Taxonomy) -> list[LabelingFunction]:
    """Units that are empty answers or generic verdicts ("None", "Great company") are about nothing."""
    none = no_dimension_label(taxonomy)
    return [pattern_lf("none_generic", none, P.NO_DIMENSION_PATTERNS, task="dimension", family="none",
                       targets=frozenset({none}))]


# -- family (d): embedding similarity ------------------------------------------------------------
def dimension_prototypes(taxonomy: Taxonomy, encoder: Any) -> np.ndarray:
    """One unit vector per dimension: the mean of its description's and its seeds' embeddings.

    The description says what the dimension covers as a sentence; the seeds add the words
    reviewers use. Averaging both makes a prototype that short units ("great pay") and long
    ones sit near.
    """
    rows = []
    for dimension in taxonomy:
        description = encoder.encode([f"{dimension.label}: {dimension.description}"])[0]
        seeds = list(dimension.seed_terms())
        centre = encoder.encode(seeds).mean(axis=0) if seeds else description
        centre = centre / max(float(np.linalg.norm(centre)), 1e-12)
        vector = description + centre
        rows.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
    return np.vstack(rows).astype(np.float32)


def embedding_lf(prototypes: np.ndarray, *, threshold: float = 0.3, margin: float = 0.04,
                 none_below: float = 0.12, name: str = "emb_nearest") -> LabelingFunction:
    """Family (d): the most similar dimension when its cosine is at least ``threshold`` and beats
    the runner-up by ``margin``; "no dimension" when nothing reaches ``none_below``; else abstain.
    """
    k = len(prototypes)

    def batch(b: Batch) -> np.ndarray:
        if b.vectors is None:
            raise ValueError(f"{name} needs unit embeddings; the applier provides them")
        sims = np.asarray(b.vectors, dtype=np.float32) @ prototypes.T
        order = np.argsort(-sims, axis=1)
        best = sims[np.arange(len(sims)), order[:, 0]]
        second = sims[np.arange(len(sims)), order[:, 1]] if k > 1 else np.full(len(sims), -1.0)
        out = np.where((best >= threshold) & (best - second >= margin), order[:, 0], ABSTAIN)
        return np.where(best < none_below, k, out).astype(np.int64)

    return LabelingFunction(name, "dimension", "embedding", frozenset(range(k + 1)), batch,
                            needs_vectors=True, resources={"prototypes": prototypes})


# -- polarity: section cue and sentiment ------------------------------------------------------
def field_polarity_lf() -> LabelingFunction:
    """Family (c): pros are positive and cons negative; other fields abstain."""
    from company_reviewer.units import natural_polarity

    votes = {"positive": POSITIVE, "negative": NEGATIVE}

    def batch(b: Batch) -> np.ndarray:
        return np.array([votes.get(natural_polarity(str(f)) or "", ABSTAIN) for f in b.fields], dtype=np.int64)

    return LabelingFunction("pol_field", "polarity", "section", frozenset({POSITIVE, NEGATIVE}), batch)


def _alternation(words: Sequence[str]) -> str:
    body = "|".join(re.escape(w.lower()).replace(r"\ ", " ") for w in sorted(set(words), key=len, reverse=True))
    return rf"(?<!\w)(?:{body})(?!\w)"


def lexicon_lf(window: int = 3) -> LabelingFunction:
    """Family (e): sentiment words counted +1/-1, flipped when one of the ``window`` words before
    them is a negator ("not good", "no complaints", "keine Perspektive"); the sign of the sum
    votes, a zero sum abstains."""
    lexicon = {lang: re.compile(rf"(?P<neg>{_alternation(P.NEGATIVE_WORDS[lang])})|"
                                rf"(?P<pos>{_alternation(P.POSITIVE_WORDS[lang])})") for lang in LANGUAGES}
    negators = {lang: re.compile(rf"^(?:{P.NEGATORS[lang]})$|n't$") for lang in LANGUAGES}
    token = re.compile(r"[\w']+")

    def scores(language: str, joined: Joined) -> np.ndarray:
        out = np.zeros(len(joined.starts), dtype=np.int64)
        text = joined.text
        for match in lexicon[language].finditer(text):
            unit = joined.unit_of(match.start())
            before = token.findall(text[max(int(joined.starts[unit]), match.start() - 12 * window):match.start()])
            negated = any(negators[language].search(t) for t in before[-window:])
            sign = 1 if match.lastgroup == "pos" else -1
            out[unit] += -sign if negated else sign
        return out

    def batch(b: Batch) -> np.ndarray:
        out = np.full(len(b), ABSTAIN, dtype=np.int64)
        for language in LANGUAGES:
            joined = b.joined(language)
            if len(joined.index):
                score = scores(language, joined)
                out[joined.index] = np.select([score > 0, score < 0], [POSITIVE, NEGATIVE], ABSTAIN)
        return out

    return LabelingFunction("pol_lexicon", "polarity", "sentiment", frozenset({POSITIVE, NEGATIVE}), batch)


def polarity_lfs() -> list[LabelingFunction]:
    """The polarity LFs: section cue, lexicon, and complaint / praise phrasings."""
    return [field_polarity_lf(), lexicon_lf(),
            pattern_lf("pol_complaint", NEGATIVE, P.COMPLAINT_PATTERNS, task="polarity", family="sentiment",
                       targets=frozenset({POSITIVE, NEGATIVE})),
            pattern_lf("pol_praise", POSITIVE, P.PRAISE_PATTERNS, task="polarity", family="sentiment",
                       targets=frozenset({POSITIVE, NEGATIVE}))]


def dimension_lfs(taxonomy: Taxonomy, encoder: Any | None = None, *,
                  embedding: bool = True, **embedding_options: float) -> list[LabelingFunction]:
    """The dimension LFs of a taxonomy: keyword, regex, no-dimension and (with an encoder) embedding."""
    lfs = [*keyword_lfs(taxonomy), *regex_lfs(taxonomy), *none_lfs(taxonomy)]
    if embedding:
        if encoder is None:
            from company_reviewer.embedding import get_encoder

            encoder = get_encoder()
        lfs.append(embedding_lf(dimension_prototypes(taxonomy, encoder), **embedding_options))
    return lfs
