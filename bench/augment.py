"""Data augmentation for opinion units of rare dimensions.

Perturbations rewrite a real unit so that its *dimension* label stays true:

* :func:`keyword_swap` - replace a seed term of the dimension by another seed term of the same
  dimension and language ("pay" -> "salary", "Kündigungen" -> "Stellenabbau");
* :func:`synonym_swap` - replace a common review word from a small built-in table (EN + DE);
* :func:`clause_shuffle` - reorder the clauses of a unit split at commas / "and" / "und";
* :func:`token_dropout` - drop random words, optionally never the protected (seed) words.

Synthesis makes new units: :func:`template_units` (fixed templates x seed terms, EN and DE) and
:func:`llm_units`, which asks an OpenAI-compatible chat endpoint only when one is configured via
``COMPANY_REVIEWER_LLM_BASE_URL`` / ``_MODEL`` / ``_API_KEY``.

Polarity is *not* guaranteed to survive: a keyword swap may turn "underpaid" into "well paid".
Augmented rows are meant for training the dimension detector only, never the polarity model.
:func:`augment_frame` tops up the dimensions below a target count with any mix of these methods.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.config import ENV_PREFIX
from company_reviewer.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)

PERTURBATIONS: tuple[str, ...] = ("keyword_swap", "synonym_swap", "clause_shuffle", "token_dropout")
SYNTHESIS: tuple[str, ...] = ("template", "llm")
METHODS: tuple[str, ...] = PERTURBATIONS + SYNTHESIS
LLM_ENV = {"base_url": f"{ENV_PREFIX}LLM_BASE_URL", "model": f"{ENV_PREFIX}LLM_MODEL",
           "api_key": f"{ENV_PREFIX}LLM_API_KEY"}

# Groups of interchangeable words. Kept free of single-word seed terms so a synonym swap never
# removes the evidence a dimension label rests on (a test checks this against the taxonomy).
_EN_GROUPS: tuple[tuple[str, ...], ...] = (
    ("great", "excellent", "fantastic"), ("good", "nice", "decent"), ("bad", "poor"),
    ("terrible", "awful", "horrible"), ("very", "really", "extremely"), ("amazing", "wonderful"),
    ("always", "constantly"), ("often", "frequently"), ("sometimes", "occasionally"),
    ("hard", "difficult"), ("easy", "simple"), ("huge", "enormous"), ("big", "large"),
    ("friendly", "kind"), ("employees", "staff", "workers"), ("company", "firm", "organization"),
    ("everyone", "everybody"), ("enough", "sufficient"), ("lots", "plenty"), ("get", "receive"),
    ("quite", "fairly"), ("pretty", "rather"), ("awesome", "superb"), ("lack", "shortage"),
)
_DE_WORD_GROUPS: tuple[tuple[str, ...], ...] = (
    ("sehr", "wirklich", "äußerst"), ("immer", "stets"), ("oft", "häufig"),
    ("manchmal", "gelegentlich"), ("leider", "bedauerlicherweise"), ("super", "klasse"),
    ("insgesamt", "alles in allem"), ("kaum", "selten"),
)
# Declinable German adjectives: the inflected forms are generated so "gute" becomes "tolle".
_DE_ADJECTIVE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("gut", "toll"), ("schlecht", "mies"), ("groß", "riesig"), ("nett", "freundlich"),
    ("schwierig", "schwer"), ("hervorragend", "ausgezeichnet"), ("schnell", "zügig"),
    ("viel", "zahlreich"), ("angenehm", "erfreulich"),
)
_DE_ENDINGS = ("", "e", "en", "er", "es", "em")


def _build_synonyms() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    groups: list[tuple[str, ...]] = [*_EN_GROUPS, *_DE_WORD_GROUPS]
    groups += [tuple(w + e for w in g) for g in _DE_ADJECTIVE_GROUPS for e in _DE_ENDINGS]
    for group in groups:
        for word in group:
            table[word] = tuple(w for w in group if w != word)
    return table


SYNONYMS: dict[str, tuple[str, ...]] = _build_synonyms()

_EN_STOP = frozenset("the and is are was not very with for but they you it to of in on at this that "
                     "there no good great bad a an be have has".split())
_DE_STOP = frozenset("der die das und ist sind war nicht sehr mit für aber sie es zu von im in "
                     "auf den dem ein eine kein keine gibt man wird werden gut auch".split())
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_CLAUSE = re.compile(r"\s*[,;]\s*|\s+(?:and|und)\s+", re.IGNORECASE)
_TRAILING = re.compile(r"[.!?…]+\s*$")

_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "positive": ("The {t} is great", "Great {t}", "Really good {t} here", "{T} is excellent",
                     "I am very happy with the {t}", "Very satisfied with the {t}"),
        "negative": ("The {t} is terrible", "Poor {t}", "{T} is a real problem here", "Bad {t}",
                     "Not happy with the {t} at all", "The {t} could be much better"),
        "neutral": ("The {t} is okay", "{T} is average", "Nothing special about the {t}",
                    "{T}: as expected"),
    },
    "de": {
        "positive": ("{T} ist top", "{T}: sehr gut", "In Sachen {T} gibt es nichts zu meckern",
                     "Beim Thema {T} läuft es sehr gut", "Thema {T}: absolut zufrieden"),
        "negative": ("{T} ist leider schlecht", "{T}: mangelhaft", "Beim Thema {T} hapert es",
                     "In Sachen {T} gibt es viel Luft nach oben", "Thema {T}: sehr unzufrieden"),
        "neutral": ("{T}: in Ordnung", "{T} ist durchschnittlich", "Thema {T}: okay"),
    },
}


def guess_language(text: str) -> str:
    """``"de"`` or ``"en"`` from function words and umlauts; ties go to English."""
    words = [w.lower() for w in _WORD.findall(text)]
    de = sum(w in _DE_STOP for w in words) + 2 * bool(re.search(r"[äöüß]", text, re.IGNORECASE))
    en = sum(w in _EN_STOP for w in words)
    return "de" if de > en else "en"


def _match_case(source: str, word: str) -> str:
    if source.isupper() and len(source) > 1:
        return word.upper()
    if source[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _seed_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![^\W_])" + re.escape(term) + r"(?![^\W_])", re.IGNORECASE)


def find_seed_matches(text: str, terms: Iterable[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, term)`` matches of the terms in ``text``, longest term first."""
    found: list[tuple[int, int, str]] = []
    taken = np.zeros(len(text) + 1, dtype=bool)
    for term in sorted(set(terms), key=len, reverse=True):
        for match in _seed_pattern(term).finditer(text):
            if not taken[match.start():match.end()].any():
                taken[match.start():match.end()] = True
                found.append((match.start(), match.end(), term))
    return sorted(found)


def keyword_swap(text: str, dimension: str, taxonomy: Taxonomy | None, rng: np.random.Generator,
                 language: str | None = None) -> str:
    """Replace one seed term of ``dimension`` in ``text`` by another seed of the same language.

    The language is ``language``, else the one guessed from the text. Returns ``text`` unchanged
    when it holds no seed of the dimension or the language has no other seed.
    """
    taxonomy = taxonomy or load_taxonomy()
    lang = language or guess_language(text)
    dim = taxonomy.get(dimension)
    terms = dim.seed_terms(lang) or dim.seed_terms()
    matches = find_seed_matches(text, terms)
    if not matches:
        return text
    start, end, term = matches[int(rng.integers(len(matches)))]
    # Exclude terms containing the matched one (or contained in it): "pay" -> "pay rise" adds
    # little variety and "lay off" -> "layoff" is the same word.
    others = [t for t in terms if term not in t and t not in term]
    if not others:
        return text
    new = others[int(rng.integers(len(others)))]
    if lang == "de":
        new = " ".join(w[:1].upper() + w[1:] for w in new.split()) if text[start].isupper() else new
    else:
        new = _match_case(text[start:end], new)
    return text[:start] + new + text[end:]


def synonym_swap(text: str, rng: np.random.Generator, n: int = 1) -> str:
    """Replace up to ``n`` words found in the built-in synonym table (EN + DE)."""
    candidates = [m for m in _WORD.finditer(text) if m.group().lower() in SYNONYMS]
    if not candidates:
        return text
    chosen = sorted(rng.choice(len(candidates), size=min(n, len(candidates)), replace=False))
    out, last = [], 0
    for k in chosen:
        match = candidates[int(k)]
        options = SYNONYMS[match.group().lower()]
        out += [text[last:match.start()], _match_case(match.group(), options[int(rng.integers(len(options)))])]
        last = match.end()
    return "".join(out) + text[last:]


def clause_shuffle(text: str, rng: np.random.Generator) -> str:
    """Reorder the clauses of ``text`` (split at commas, semicolons, "and", "und").

    Final punctuation stays at the end. A unit with one clause is returned unchanged.
    """
    body = _TRAILING.sub("", text)
    tail = text[len(body):].strip()
    clauses = [c for c in _CLAUSE.split(body) if c and c.strip()]
    if len(clauses) < 2:
        return text
    order = np.arange(len(clauses))
    for _ in range(10):  # a random permutation may be the identity; a few tries find another
        order = rng.permutation(len(clauses))
        if (order != np.arange(len(clauses))).any():
            break
    joined = ", ".join(clauses[i].strip() for i in order)
    return joined[:1].upper() + joined[1:] + tail


def token_dropout(text: str, p: float, rng: np.random.Generator, protect: Iterable[str] = (),
                  min_drop: int = 0) -> str:
    """Drop each whitespace token with probability ``p``; tokens in ``protect`` always stay.

    ``protect`` holds words (any case, e.g. the words of a dimension's seed terms) whose loss
    would remove the evidence for the label. At least ``min_drop`` unprotected tokens are dropped
    when there are that many (augmentation wants a changed text), and one token is always kept.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    tokens = text.split()
    if len(tokens) < 2:
        return text
    protected = {w.lower() for term in protect for w in term.split()}
    locked = np.array([t.lower().strip(".,;:!?()\"'") in protected for t in tokens])
    keep = (rng.random(len(tokens)) >= p) | locked
    short = min_drop - int((~keep).sum())
    if short > 0:
        open_ = np.flatnonzero(keep & ~locked)
        keep[rng.choice(open_, size=min(short, open_.size), replace=False)] = False
    if not keep.any():
        keep[int(rng.integers(len(tokens)))] = True
    return " ".join(t for t, k in zip(tokens, keep) if k)


def template_units(dimension: str, polarity: str, taxonomy: Taxonomy | None, n: int,
                   rng: np.random.Generator, languages: Sequence[str] = ("en", "de")) -> list[str]:
    """``n`` synthetic units from templates x seed terms of ``dimension`` in ``languages``.

    Distinct combinations are drawn without replacement while they last, then with replacement.
    """
    if polarity not in ("positive", "negative", "neutral"):
        raise ValueError(f"polarity must be positive, negative or neutral, got {polarity!r}")
    taxonomy = taxonomy or load_taxonomy()
    dim = taxonomy.get(dimension)
    pool: list[str] = []
    for lang in languages:
        templates = _TEMPLATES.get(lang, {}).get(polarity, ())
        for term in dim.seed_terms(lang):
            # German nouns are capitalised; the model is uncased, but quotes should read right.
            cap = " ".join(w[:1].upper() + w[1:] for w in term.split()) if lang == "de" else term
            pool += [t.format(t=cap, T=cap[:1].upper() + cap[1:]) for t in templates]
    if not pool or n <= 0:
        return []
    index = rng.choice(len(pool), size=n, replace=n > len(pool))
    return [pool[int(i)] for i in index]


def llm_settings() -> dict[str, str] | None:
    """The configured LLM endpoint (base_url, model, api_key) or ``None`` when not configured."""
    values = {k: os.environ.get(v, "").strip() for k, v in LLM_ENV.items()}
    return values if values["base_url"] and values["model"] else None


def llm_units(dimension: str, polarity: str, taxonomy: Taxonomy | None, n: int,
              language: str = "en", *, transport: Any = None, timeout: float = 60.0,
              temperature: float = 0.9) -> list[str]:
    """Ask an OpenAI-compatible chat endpoint for ``n`` units; ``[]`` when none is configured.

    Nothing is sent unless ``COMPANY_REVIEWER_LLM_BASE_URL`` and ``_MODEL`` are set. Errors of
    the endpoint are logged and give ``[]`` so augmentation degrades instead of failing a run.
    ``transport`` is an ``httpx`` transport (tests pass a mock one).
    """
    settings = llm_settings()
    if settings is None:
        log.info("llm_units: no LLM endpoint configured (%s, %s); no units synthesised",
                 LLM_ENV["base_url"], LLM_ENV["model"])
        return []
    if n <= 0:
        return []
    import httpx

    dim = (taxonomy or load_taxonomy()).get(dimension)
    lang_name = {"en": "English", "de": "German"}.get(language, language)
    prompt = (f"Write {n} different short sentences, as employees write them in {lang_name} company "
              f"reviews, each expressing a {polarity} opinion about {dim.label.lower()}: "
              f"{dim.description} One sentence per line, no numbering, no quotes.")
    headers = {"Authorization": f"Bearer {settings['api_key']}"} if settings["api_key"] else {}
    body = {"model": settings["model"], "temperature": temperature,
            "messages": [{"role": "user", "content": prompt}]}
    url = settings["base_url"].rstrip("/") + "/chat/completions"
    try:
        with httpx.Client(transport=transport, timeout=timeout) as client:
            response = client.post(url, json=body, headers=headers)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as error:
        log.warning("llm_units: request to %s failed (%s); no units synthesised", url, error)
        return []
    lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip().strip('"') for line in content.splitlines()]
    return [line for line in lines if len(line) >= 3][:n]


def augment_frame(units: pd.DataFrame, labels: pd.DataFrame, methods: Sequence[str],
                  per_class_target: int, random_state: int | None = 0, *,
                  taxonomy: Taxonomy | None = None, threshold: float = 0.5, dropout_p: float = 0.15,
                  languages: Sequence[str] = ("en", "de")) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add augmented units for every dimension with fewer than ``per_class_target`` positives.

    ``units`` has a ``text`` column; ``labels`` has one column per dimension id (hard or soft),
    row-aligned with ``units``. For a dimension short of the target, each new unit comes from a
    method drawn at random from ``methods``: perturbations rewrite a random positive unit and
    copy its label row (every label of the source stays true), ``template``/``llm`` units get
    the one dimension (1.0) and a random positive/negative polarity. Perturbations that leave a
    text unchanged are retried (up to 10 times, other sources) and else skipped, so a dimension
    may stay short of the target.

    Returns ``(units, labels)`` with the originals first (index reset), plus columns
    ``augmented`` (the method, ``""`` for originals) and ``source`` (row of the unit a
    perturbation rewrote, -1 otherwise).
    """
    unknown = set(methods) - set(METHODS)
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}, got {list(methods)}")
    if len(units) != len(labels):
        raise ValueError(f"units ({len(units)}) and labels ({len(labels)}) differ in length")
    if "llm" in methods and llm_settings() is None:
        # Without an endpoint the llm share would just be missing; give it to the other methods.
        log.info("augment_frame: no LLM endpoint configured; method 'llm' skipped")
        methods = [m for m in methods if m != "llm"]
        if not methods:
            return units.reset_index(drop=True).assign(augmented="", source=-1), labels.reset_index(drop=True)
    taxonomy = taxonomy or load_taxonomy()
    rng = np.random.default_rng(random_state)
    texts = units["text"].astype(str).tolist()
    values = labels.to_numpy(dtype=float)
    ids = list(labels.columns)
    counts = (values >= threshold).sum(axis=0)
    new_text: list[str] = []
    new_labels: list[np.ndarray] = []
    new_method: list[str] = []
    new_source: list[int] = []
    for j in np.argsort(counts, kind="stable"):
        need = int(per_class_target - counts[j])
        rows = np.flatnonzero(values[:, j] >= threshold)
        if need <= 0:
            continue
        dim = ids[j]
        drawn = rng.choice(list(methods), size=need)
        synth = {m: int((drawn == m).sum()) for m in SYNTHESIS if m in methods}
        for method, k in synth.items():
            made = _synthesise(method, dim, taxonomy, k, rng, languages)
            one_hot = np.zeros(len(ids))
            one_hot[j] = 1.0
            new_text += made
            new_labels += [one_hot] * len(made)
            new_method += [method] * len(made)
            new_source += [-1] * len(made)
        if rows.size == 0:
            continue
        for method in (m for m in drawn if m in PERTURBATIONS):
            for _ in range(10):
                src = int(rows[int(rng.integers(rows.size))])
                out = _perturb(method, texts[src], dim, taxonomy, rng, dropout_p)
                if out.strip() and out != texts[src]:
                    new_text.append(out)
                    new_labels.append(values[src])
                    new_method.append(str(method))
                    new_source.append(src)
                    break
    extra = pd.DataFrame({"text": new_text, "augmented": new_method, "source": new_source})
    base = units.reset_index(drop=True).assign(augmented="", source=-1)
    out_units = pd.concat([base, extra], ignore_index=True)
    out_labels = pd.DataFrame(np.vstack([values, *new_labels]) if new_labels else values, columns=ids)
    return out_units, out_labels


def _perturb(method: str, text: str, dimension: str, taxonomy: Taxonomy,
             rng: np.random.Generator, dropout_p: float) -> str:
    if method == "keyword_swap":
        return keyword_swap(text, dimension, taxonomy, rng)
    if method == "synonym_swap":
        return synonym_swap(text, rng, n=2)
    if method == "clause_shuffle":
        return clause_shuffle(text, rng)
    return token_dropout(text, dropout_p, rng, protect=taxonomy.get(dimension).seed_terms(), min_drop=1)


def _synthesise(method: str, dimension: str, taxonomy: Taxonomy, n: int,
                rng: np.random.Generator, languages: Sequence[str]) -> list[str]:
    if n <= 0:
        return []
    # Split between positive and negative opinions and the requested languages.
    parts = [(pol, lang) for pol in ("positive", "negative") for lang in languages]
    sizes = np.bincount(rng.integers(len(parts), size=n), minlength=len(parts))
    out: list[str] = []
    for (polarity, lang), k in zip(parts, sizes):
        if method == "template":
            out += template_units(dimension, polarity, taxonomy, int(k), rng, languages=(lang,))
        else:
            out += llm_units(dimension, polarity, taxonomy, int(k), language=lang)
    return out
