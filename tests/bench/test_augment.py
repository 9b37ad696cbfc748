"""Label-preserving perturbations, template/LLM synthesis and frame augmentation (bench/augment.py).

All texts here are invented; no network is used (the LLM test runs on a mock transport).
"""

from __future__ import annotations

import json

import httpx
import numpy as np
import pandas as pd
import pytest

from augment import (
    LLM_ENV,
    SYNONYMS,
    augment_frame,
    clause_shuffle,
    find_seed_matches,
    guess_language,
    keyword_swap,
    llm_units,
    synonym_swap,
    template_units,
    token_dropout,
)
from company_reviewer.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy("default")


@pytest.fixture(autouse=True)
def no_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LLM_ENV.values():
        monkeypatch.delenv(name, raising=False)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_guess_language() -> None:
    assert guess_language("The pay is not very good") == "en"
    assert guess_language("Die Bezahlung ist nicht gut und die Kollegen sind nett") == "de"


def test_keyword_swap_keeps_dimension_and_language(taxonomy) -> None:
    dim = taxonomy.get("job_security")
    for seed in range(20):
        out = keyword_swap("There were layoffs every year", "job_security", taxonomy, rng(seed))
        assert out != "There were layoffs every year"
        assert find_seed_matches(out, dim.seed_terms("en")), out
        assert out.startswith("There were ") and out.endswith(" every year")
    de = keyword_swap("Ständig Kündigungen und Angst", "job_security", taxonomy, rng(1))
    matches = find_seed_matches(de, dim.seed_terms("de"))
    assert matches and de != "Ständig Kündigungen und Angst"
    assert de.endswith(" und Angst")


def test_keyword_swap_without_seed_is_identity(taxonomy) -> None:
    assert keyword_swap("Nice view from the roof", "salary", taxonomy, rng()) == "Nice view from the roof"


def test_find_seed_matches_prefers_longest_and_word_boundaries() -> None:
    matches = find_seed_matches("Poor work life balance, no paycheck", ["work life balance", "life", "pay"])
    assert [m[2] for m in matches] == ["work life balance"]


def test_synonym_swap(taxonomy) -> None:
    out = synonym_swap("Great people and very good pay", rng(0), n=2)
    assert out != "Great people and very good pay"
    assert out.split()[-1] == "pay" and out[0].isupper()
    assert synonym_swap("Zzz qqq", rng(0)) == "Zzz qqq"
    assert synonym_swap("Die Kollegen sind gut", rng(0)) == "Die Kollegen sind toll"
    assert "tolle" in synonym_swap("gute Kollegen", rng(0))


def test_synonym_table_avoids_single_word_seeds(taxonomy) -> None:
    seeds = {t for d in taxonomy for t in d.seed_terms() if " " not in t}
    assert not seeds & set(SYNONYMS), seeds & set(SYNONYMS)
    assert all(word not in alternatives for word, alternatives in SYNONYMS.items())


def test_clause_shuffle() -> None:
    out = clause_shuffle("Good pay, long hours and no training.", rng(0))
    assert out.endswith(".")
    parts = {p.strip().lower() for p in out.rstrip(".").split(",")}
    assert parts == {"good pay", "long hours", "no training"}
    assert out.rstrip(".").lower() != "good pay, long hours, no training"
    assert clause_shuffle("Gute Bezahlung und nette Kollegen", rng(0)) == "Nette Kollegen, Gute Bezahlung"
    assert clause_shuffle("Just one clause here", rng(0)) == "Just one clause here"


def test_token_dropout_protects_seed_words() -> None:
    text = "the team communication was honestly really quite poor overall"
    for seed in range(10):
        out = token_dropout(text, 0.7, rng(seed), protect=["communication"])
        assert "communication" in out.split()
        assert set(out.split()) <= set(text.split())
    assert token_dropout(text, 0.0, rng()) == text
    once = token_dropout(text, 0.0, rng(), protect=["communication"], min_drop=1)
    assert len(once.split()) == len(text.split()) - 1 and "communication" in once
    assert token_dropout("single", 0.9, rng()) == "single"
    assert token_dropout("a b c d", 0.999, rng()).strip()
    with pytest.raises(ValueError):
        token_dropout(text, 1.0, rng())


def test_template_units(taxonomy) -> None:
    units = template_units("diversity_inclusion", "positive", taxonomy, 40, rng())
    assert len(units) == 40 and len(set(units)) == 40
    terms = taxonomy.get("diversity_inclusion").seed_terms()
    assert all(find_seed_matches(u, terms) for u in units)
    de = template_units("communication", "negative", taxonomy, 5, rng(), languages=("de",))
    assert all(guess_language(u) == "de" or u.split()[0][0].isupper() for u in de)
    assert len(template_units("salary", "neutral", taxonomy, 10_000, rng())) == 10_000
    with pytest.raises(ValueError):
        template_units("salary", "mixed", taxonomy, 1, rng())


def test_llm_units_unconfigured_returns_empty(taxonomy, caplog: pytest.LogCaptureFixture) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent when no endpoint is configured")

    with caplog.at_level("INFO"):
        assert llm_units("salary", "positive", taxonomy, 3, transport=httpx.MockTransport(fail)) == []
    assert "no LLM endpoint configured" in caplog.text


def test_llm_units_with_mock_endpoint(taxonomy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LLM_ENV["base_url"], "http://llm.invalid/v1")
    monkeypatch.setenv(LLM_ENV["model"], "tiny")
    monkeypatch.setenv(LLM_ENV["api_key"], "k")
    seen: dict = {}

    def answer(request: httpx.Request) -> httpx.Response:
        seen["url"], seen["auth"] = str(request.url), request.headers.get("authorization")
        seen["body"] = json.loads(request.content)
        content = "1. Layoffs every quarter\n- Nobody feels safe here\n\n\"Contracts are temporary\""
        return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})

    out = llm_units("job_security", "negative", taxonomy, 3, transport=httpx.MockTransport(answer))
    assert out == ["Layoffs every quarter", "Nobody feels safe here", "Contracts are temporary"]
    assert seen["url"] == "http://llm.invalid/v1/chat/completions" and seen["auth"] == "Bearer k"
    assert seen["body"]["model"] == "tiny"
    broken = httpx.MockTransport(lambda request: httpx.Response(500))
    assert llm_units("job_security", "negative", taxonomy, 3, transport=broken) == []


def _frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    texts = (["Good pay and great bonus"] * 40 + ["Layoffs happen, nobody is safe"] * 3
             + ["Communication is poor, meetings are useless and long"] * 2)
    labels = np.zeros((len(texts), 3))
    labels[:40, 0] = 1.0
    labels[40:43, 1] = 0.9
    labels[43:, 2] = 1.0
    return (pd.DataFrame({"text": texts, "field": "cons"}),
            pd.DataFrame(labels, columns=["salary", "job_security", "communication"]))


@pytest.mark.parametrize("method", ["keyword_swap", "synonym_swap", "clause_shuffle",
                                    "token_dropout", "template"])
def test_augment_frame_tops_up_rare_dimensions(taxonomy, method: str) -> None:
    units, labels = _frame()
    out_units, out_labels = augment_frame(units, labels, [method], per_class_target=20,
                                          random_state=0, taxonomy=taxonomy)
    assert len(out_units) == len(out_labels)
    assert (out_units["augmented"].iloc[:len(units)] == "").all()
    new = out_units["augmented"] == method
    assert new.sum() > 0
    counts = (out_labels >= 0.5).sum()
    assert counts["salary"] == 40  # already above target: untouched
    if method != "synonym_swap":  # synonym swap only finds words of the table
        assert counts["job_security"] >= 20 and counts["communication"] >= 20
    src = out_units.loc[new, "source"]
    if method != "template":
        assert (src >= 0).all()
        np.testing.assert_array_equal(out_labels[new].to_numpy(), labels.to_numpy()[src])
    else:
        assert (src == -1).all() and set(np.unique(out_labels[new].to_numpy())) == {0.0, 1.0}


def test_augment_frame_is_seeded_and_validates(taxonomy) -> None:
    units, labels = _frame()
    a = augment_frame(units, labels, ["keyword_swap", "template"], 15, random_state=4, taxonomy=taxonomy)
    b = augment_frame(units, labels, ["keyword_swap", "template"], 15, random_state=4, taxonomy=taxonomy)
    pd.testing.assert_frame_equal(a[0], b[0])
    with pytest.raises(ValueError):
        augment_frame(units, labels, ["back_translation"], 15)
    # llm without an endpoint: skipped, nothing added, no error.
    only_llm = augment_frame(units, labels, ["llm"], 15, taxonomy=taxonomy)
    assert len(only_llm[0]) == len(units)
