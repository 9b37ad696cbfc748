"""Labeling functions, the applier, label models, the labeler and the ``label`` command.

Every sentence here is written for the test; no real review text. The sentence encoder is
replaced by a deterministic fake, so these tests need no model weights.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from company_reviewer.labeling.applier import apply_lfs, run_lf_safely
from company_reviewer.labeling.functions import (ABSTAIN, NEGATIVE, POSITIVE, Batch, LabelingFunction, Unit,
                                                 dimension_lfs, embedding_lf, guess_languages, keyword_lfs,
                                                 none_lfs, polarity_lfs, regex_lfs)
from company_reviewer.labeling.label_model import (LabelModel, MajorityVote, OneVsRestLabelModel,
                                                   dimension_view)
from company_reviewer.labeling.labeler import Labeler, label_units
from company_reviewer.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy("default")
INDEX = {d: i for i, d in enumerate(TAXONOMY.ids)}
NONE = len(TAXONOMY)


class FakeEncoder:
    """Deterministic unit vectors from a text hash (no model download, no cache)."""

    def encode(self, texts):
        rows = []
        for text in texts:
            seed = int(hashlib.sha1(str(text).encode()).hexdigest()[:8], 16)
            vector = np.random.default_rng(seed).normal(size=16)
            rows.append(vector / np.linalg.norm(vector))
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), 16)


def lf_named(lfs, name: str) -> LabelingFunction:
    return next(lf for lf in lfs if lf.name == name)


@pytest.fixture(scope="module")
def dim_lfs():
    return dimension_lfs(TAXONOMY, embedding=False)


@pytest.fixture(scope="module")
def pol_lfs():
    return polarity_lfs()


@pytest.mark.parametrize("name, text, language", [
    ("kw_salary", "The salary is below market", "en"),
    ("kw_benefits", "Health insurance and a 401k match", "en"),
    ("kw_work_life_balance", "Terrible work-life balance", "en"),
    ("kw_management", "My manager never listens", "en"),
    ("kw_salary", "Die Gehaltserhöhung kam viel zu spät", "de"),
    ("kw_salary", "Das Grundgehalt ist fair", "de"),
    ("kw_colleagues", "Tolle Kollegen im Team", "de"),
    ("kw_job_security", "Es gab zwei Kündigungswellen", "de"),
    ("re_salary", "Everyone here is underpaid", "en"),
    ("re_salary", "Starting at $18 an hour", "en"),
    ("re_work_life_balance", "Expect 12-hour shifts and weekends", "en"),
    ("re_job_security", "Constant lay-offs every quarter", "en"),
    ("re_work_life_balance", "Viele Überstunden am Wochenende", "de"),
    ("re_job_security", "Angst vor der nächsten Kündigung", "de"),
    ("re_diversity_inclusion", "Frauen werden seltener befördert", "de"),
])
def test_dimension_lfs_fire(dim_lfs, name: str, text: str, language: str) -> None:
    lf = lf_named(dim_lfs, name)
    assert lf(Unit(text, "cons", language)) == INDEX[name.split("_", 1)[1]]


@pytest.mark.parametrize("name, text, language", [
    ("kw_salary", "Great colleagues and a nice office", "en"),
    ("kw_salary", "They raised the price of coffee", "en"),          # "raised" is not "raise"
    ("kw_management", "Die Einführung der neuen Software", "de"),     # no "führung" inside words
    ("kw_diversity_inclusion", "Es gibt keine Alternative", "de"),    # "alter" only as a word
    ("re_salary", "Das lohnt sich nicht", "de"),                      # "lohnt" is not "Lohn"
    ("kw_salary", "Das Gehalt ist gut", "en"),                        # German seeds only for German
    ("re_job_security", "Great team spirit", "en"),
])
def test_dimension_lfs_abstain(dim_lfs, name: str, text: str, language: str) -> None:
    assert lf_named(dim_lfs, name)(Unit(text, "pros", language)) == ABSTAIN


@pytest.mark.parametrize("text, language, expected", [
    ("None", "en", NONE), ("Nothing really.", "en", NONE), ("Great company to work for!", "en", NONE),
    ("Nichts", "de", NONE), ("Alles gut", "de", NONE),
    ("Great pay", "en", ABSTAIN), ("Gutes Gehalt", "de", ABSTAIN),
])
def test_none_lf(text: str, language: str, expected: int) -> None:
    assert none_lfs(TAXONOMY)[0](Unit(text, "cons", language)) == expected


@pytest.mark.parametrize("name, text, field, language, expected", [
    ("pol_field", "anything", "pros", "en", POSITIVE),
    ("pol_field", "anything", "cons", "en", NEGATIVE),
    ("pol_field", "anything", "advice", "en", ABSTAIN),
    ("pol_lexicon", "Great people and good pay", "headline", "en", POSITIVE),
    ("pol_lexicon", "The pay is not good", "headline", "en", NEGATIVE),
    ("pol_lexicon", "No complaints at all", "headline", "en", POSITIVE),
    ("pol_lexicon", "Toxic and stressful", "headline", "en", NEGATIVE),
    ("pol_lexicon", "Senior software engineer", "headline", "en", ABSTAIN),
    ("pol_lexicon", "Sehr gute Kollegen", "text", "de", POSITIVE),
    ("pol_lexicon", "Leider keine gute Perspektive", "text", "de", NEGATIVE),
    ("pol_complaint", "Not enough training", "cons", "en", NEGATIVE),
    ("pol_complaint", "Zu viele Meetings", "text", "de", NEGATIVE),
    ("pol_praise", "Really supportive managers", "pros", "en", POSITIVE),
])
def test_polarity_lfs(pol_lfs, name: str, text: str, field: str, language: str, expected: int) -> None:
    assert lf_named(pol_lfs, name)(Unit(text, field, language)) == expected


def test_batch_path_equals_per_unit_path(dim_lfs, pol_lfs) -> None:
    units = [Unit("Great pay, long hours", "pros", "en"), Unit("Schlechte Bezahlung und Überstunden", "cons", "de"),
             Unit("None", "cons", "en"), Unit("Management\nnever communicates", "cons", "en"),
             Unit("Nette Kollegen, aber kein Homeoffice", "text", "de"), Unit("", "advice", "en")]
    batch = Batch.of(units)
    for lf in [*dim_lfs, *pol_lfs]:
        assert lf.batch(batch).tolist() == [lf(u) for u in units], lf.name


def test_embedding_lf_votes_nearest_none_or_abstains() -> None:
    prototypes = np.eye(3, dtype=np.float32)
    lf = embedding_lf(prototypes, threshold=0.5, margin=0.1, none_below=0.2)
    near_second = np.array([0.1, 0.9, 0.1], dtype=np.float32)
    tie = np.array([0.6, 0.6, 0.0], dtype=np.float32)
    far = np.array([0.1, 0.1, 0.1], dtype=np.float32)
    assert lf(Unit("x", vector=near_second)) == 1
    assert lf(Unit("x", vector=tie)) == ABSTAIN
    assert lf(Unit("x", vector=far)) == 3  # "no dimension" is the index after the last dimension


def test_guess_languages() -> None:
    guessed = guess_languages(["Die Kollegen sind sehr nett", "The people are nice", "Gehalt"])
    assert guessed.tolist() == ["de", "en", "en"]


def test_applier_counts_a_failing_lf_instead_of_crashing(dim_lfs) -> None:
    def fragile(batch: Batch) -> np.ndarray:
        if any("boom" in t for t in batch.texts):
            raise RuntimeError("cannot handle boom")
        return np.zeros(len(batch), dtype=np.int64)

    broken = LabelingFunction("fragile", "dimension", "test", frozenset({0}), fragile)
    out_of_range = LabelingFunction("out_of_range", "dimension", "test", frozenset({0}),
                                    lambda b: np.full(len(b), 7))
    units = pd.DataFrame({"text": ["good salary", "boom", "boom boom", "fine"], "field": "pros"})
    L, failures = apply_lfs(units, [dim_lfs[0], broken, out_of_range])
    assert failures == Counter({"fragile": 2, "out_of_range": 4})
    assert L[:, 1].tolist() == [0, ABSTAIN, ABSTAIN, 0]
    assert L[:, 2].tolist() == [ABSTAIN] * 4
    assert L[:, 0].tolist() == [INDEX["salary"], ABSTAIN, ABSTAIN, ABSTAIN]


def test_run_lf_safely_keeps_good_votes() -> None:
    ok = LabelingFunction("ok", "polarity", "test", frozenset({0, 1}), lambda b: np.ones(len(b), dtype=np.int64))
    failures: Counter = Counter()
    assert run_lf_safely(ok, Batch.of([Unit("a"), Unit("b")]), failures).tolist() == [1, 1]
    assert not failures


def test_apply_lfs_rejects_duplicate_names(dim_lfs) -> None:
    with pytest.raises(ValueError, match="unique"):
        apply_lfs(pd.DataFrame({"text": ["x"]}), [dim_lfs[0], dim_lfs[0]])


def _synthetic_votes(n: int = 3000, m: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    accuracy = np.array([0.9, 0.85, 0.8, 0.75, 0.7])[:m]
    coverage = np.array([0.6, 0.5, 0.5, 0.4, 0.7])[:m]
    right = rng.random((n, m)) < accuracy
    L = np.where(right, y[:, None], 1 - y[:, None])
    return np.where(rng.random((n, m)) < coverage, L, ABSTAIN), y


def test_label_model_and_majority_agree_on_unanimous_votes() -> None:
    L, _ = _synthetic_votes()
    label = LabelModel(n_epochs=200).fit(L)
    majority = MajorityVote().fit(L)
    votes = [(row[row != ABSTAIN]) for row in L]
    unanimous = np.array([len(v) >= 2 and len(set(v.tolist())) == 1 for v in votes])
    assert unanimous.sum() > 100
    assert (label.predict(L)[unanimous] == majority.predict(L)[unanimous]).all()
    assert (label.predict(L)[unanimous] == L[unanimous].max(axis=1)).all()


def test_label_model_beats_chance_and_falls_back_with_one_lf() -> None:
    L, y = _synthetic_votes(seed=1)
    label = LabelModel(n_epochs=200).fit(L)
    assert (label.predict(L) == y).mean() > 0.8
    assert label.predict_proba(L).shape == (len(L), 2)
    single = LabelModel().fit(L[:, :1])
    assert single.fallback_ is not None
    assert np.allclose(single.predict_proba(L[:, :1]).sum(axis=1), 1.0)


def test_majority_vote_uses_prior_without_votes() -> None:
    L = np.array([[1, 1, -1], [0, -1, -1], [-1, -1, -1], [1, 0, -1]])
    model = MajorityVote().fit(L)
    proba = model.predict_proba(L)
    assert proba[0].tolist() == [0.0, 1.0] and proba[1].tolist() == [1.0, 0.0]
    assert proba[2].tolist() == model.class_balance_.tolist() and proba[2][1] < 0.5
    assert proba[3].tolist() == [0.5, 0.5]


def test_dimension_view_keeps_multilabel_evidence() -> None:
    # Columns: kw for dimension 0, kw for dimension 1, an exclusive LF over 0..1 plus none (=2).
    targets = [frozenset({0}), frozenset({1}), frozenset({0, 1, 2})]
    L = np.array([[0, 1, 0], [0, -1, 1], [-1, -1, 2], [-1, 1, -1]])
    view0, kept0 = dimension_view(L, targets, 0, 2)
    # A vote for the other dimension is an abstain here; only "no dimension" (2) is a 0.
    assert kept0.tolist() == [0, 2]
    assert view0.tolist() == [[1, 1], [1, -1], [-1, 0], [-1, -1]]
    view1, kept1 = dimension_view(L, targets, 1, 2)
    assert kept1.tolist() == [1, 2]
    assert view1.tolist() == [[1, -1], [-1, 1], [-1, 0], [1, -1]]


def test_one_vs_rest_predicts_several_dimensions() -> None:
    targets = [frozenset({0}), frozenset({1})] * 3
    both, first = [0, 1, 0, 1, 0, 1], [0, -1, 0, -1, 0, -1]
    partial = [0, -1, -1, 1, -1, -1]
    L = np.array([both, first, partial] + [[-1] * 6] * 30 + [[0, -1, -1, -1, -1, -1]] * 2 + [both] * 3)
    L = np.tile(L, (20, 1))
    for model in ("label", "majority"):
        fitted = OneVsRestLabelModel(targets, 2, model=model).fit(L)
        assert fitted.predict(L)[:4].tolist() == [[1, 1], [1, 0], [1, 1], [0, 0]], model


SENTENCES = pd.DataFrame({
    "review_key": ["r:1", "r:1", "r:2", "r:2", "r:3", "r:3", "r:4", "r:4"],
    "field": ["pros", "cons", "pros", "cons", "pros", "cons", "text", "text"],
    "start": [0, 0, 0, 0, 0, 0, 0, 30],
    "end": [10, 10, 10, 10, 10, 10, 25, 60],
    "text": ["Great pay and good benefits", "Long hours and weekends", "Helpful colleagues",
             "My manager micromanages", "Lots of training", "Lay-offs every year",
             "Das Gehalt ist gut", "Viele Überstunden und keine Kommunikation"],
    "language": ["en"] * 6 + ["de", "de"],
})


@pytest.mark.parametrize("model", ["label", "majority"])
def test_label_units_end_to_end(model: str) -> None:
    labeled = label_units(pd.concat([SENTENCES] * 20, ignore_index=True), model=model, encoder=FakeEncoder())
    first = labeled.iloc[:8]
    assert list(first.columns[:4]) == ["review_key", "field", "start", "end"]
    assert {f"p_{d}" for d in TAXONOMY.ids} <= set(labeled.columns)
    assert "salary" in first.at[0, "dimensions"] and "benefits" in first.at[0, "dimensions"]
    assert "work_life_balance" in first.at[1, "dimensions"]
    assert "management" in first.at[3, "dimensions"]
    assert "job_security" in first.at[5, "dimensions"]
    assert "salary" in first.at[6, "dimensions"]
    assert first["polarity"].tolist()[:6] == ["positive", "negative"] * 3


def test_labeler_transform_reuses_fitted_models() -> None:
    labeler = Labeler(embedding=False).fit(pd.concat([SENTENCES] * 10, ignore_index=True))
    out = labeler.transform(SENTENCES.iloc[:2])
    assert len(out) == 2 and out.at[0, "polarity"] == "positive"
    assert not labeler.failures_


def test_label_command_on_a_file(tmp_path: Path, demo_reviews_path: Path) -> None:
    from click.testing import CliRunner

    from company_reviewer.cli.labeling import label

    out = tmp_path / "labels.csv"
    report = tmp_path / "report" / "run.md"
    result = CliRunner().invoke(label, ["--input", str(demo_reviews_path), "--no-embedding", "--out", str(out),
                                       "--report", str(report), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    labeled = pd.read_csv(out, keep_default_na=False)
    assert summary["units"] == len(labeled) > 0
    assert set(summary["coverage"]) == set(TAXONOMY.ids)
    assert summary["lf_failures"] == {}
    assert report.is_file() and report.with_suffix(".html").is_file()
    assert (report.parent / "img" / "dimension-conflicts.png").is_file()


def test_label_command_rejects_two_sources(tmp_path: Path, demo_reviews_path: Path) -> None:
    from click.testing import CliRunner

    from company_reviewer.cli.labeling import label

    result = CliRunner().invoke(label, ["--input", str(demo_reviews_path), "--database", "sqlite:///x.db"])
    assert result.exit_code != 0 and "either" in result.output


def test_families_cover_every_dimension() -> None:
    assert len(keyword_lfs(TAXONOMY)) == len(regex_lfs(TAXONOMY)) == len(TAXONOMY)


def test_label_command_on_the_store(tmp_path: Path, demo_reviews_path: Path, sqlite_url: str) -> None:
    from click.testing import CliRunner

    from company_reviewer.cli.labeling import label
    from company_reviewer.store.ingest import ingest_file
    from company_reviewer.store.db import get_engine

    ingest_file(demo_reviews_path, get_engine(sqlite_url))
    out = tmp_path / "labels.parquet"
    result = CliRunner().invoke(label, ["--database", sqlite_url, "--company", "Northwind Analytics",
                                       "--no-embedding", "--model", "majority", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    labeled = pd.read_parquet(out)
    assert labeled["review_key"].str.contains("nwa-").all()
    assert json.loads(result.output.strip().splitlines()[-1])["units"] == len(labeled)
