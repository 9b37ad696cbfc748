"""The one registry: built-ins come from entry points like a plugin's, lookups name what exists,
a plugin registered in-process is used by the real lookup paths, ``company-reviewer plugins``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from company_reviewer import registry
from company_reviewer.cli import main


def test_every_kind_has_its_built_ins_from_this_distribution():
    expected = {
        "reviewers": {"embedded", "baseline", "llm"}, "llm_backends": {"llamacpp", "openai", "transformers"},
        "presets": {"canonical", "glassdoor", "indeed", "ambitionbox", "kununu"},
        "readers": {"csv", "tsv", "json", "jsonl", "parquet", "avro"}, "batch_engines": {"local", "ray"},
        "labeling_backends": {"local"}, "label_models": {"label", "majority"},
        "taxonomies": {"default", "kununu", "indeed"},
        "rating_schemes": {"glassdoor", "indeed", "ambitionbox", "kununu"},
        "token_counters": {"smollm2", "approx"},
    }
    assert set(registry.KINDS) == set(expected)
    for kind, names in expected.items():
        plugins = {p.name: p for p in registry.get_registry(kind).plugins()}
        assert names <= set(plugins), kind
        assert all(plugins[name].origin == "built-in" for name in names), kind


def test_every_built_in_entry_point_loads():
    for kind in registry.KINDS.values():
        for plugin in kind.plugins():
            if plugin.origin == "built-in":
                assert kind.get(plugin.name) is not None, (kind.kind, plugin.name)


def test_unknown_names_list_the_known_ones_and_stay_value_and_key_errors():
    with pytest.raises(ValueError, match=r"unknown preset 'yelp'; available: .*glassdoor"):
        registry.presets.get("yelp")
    with pytest.raises(KeyError, match=r"unknown tokenizer 'bpe'; available: .*approx"):
        registry.token_counters.get("bpe")
    with pytest.raises(ValueError, match="unknown plugin kind"):
        registry.get_registry("widgets")


def test_in_process_registration_reaches_the_real_lookups(tmp_path):
    from company_reviewer.data.presets import get_preset
    from company_reviewer.data.readers import iter_chunks
    from company_reviewer.finetune.tokens import get_counter
    from company_reviewer.labeling.label_model import make_model

    reader_calls = []

    def iter_pipe_table(path, chunk_rows, encoding):  # a "|"-separated export, read by a plugin
        import pandas as pd

        reader_calls.append(path)
        lines = path.read_text().splitlines()
        yield pd.DataFrame([line.split("|") for line in lines[1:]], columns=lines[0].split("|"))

    registry.readers.register("pipes", iter_pipe_table)
    registry.token_counters.register("words", lambda messages: sum(len(m["content"].split()) for m in messages))
    registry.presets.register("glassdoor_alias", get_preset("glassdoor"))
    try:
        path = tmp_path / "export.pipes"
        path.write_text("company|text\nAcme|fine place\n")
        frames = list(iter_chunks(path))
        assert reader_calls == [path] and frames[0]["company"].tolist() == ["Acme"]
        assert get_counter("words")([{"role": "user", "content": "three short words"}]) == 3
        assert get_preset("glassdoor_alias") is get_preset("glassdoor")
        assert "pipes" in registry.readers.names()
    finally:
        for kind, name in (("readers", "pipes"), ("token_counters", "words"), ("presets", "glassdoor_alias")):
            registry.get_registry(kind).unregister(name)
    assert "pipes" not in registry.readers
    assert type(make_model("majority")).__name__ == "MajorityVote"


def test_renamed_lookups_resolve_through_the_registry():
    from company_reviewer.batch.engines import get_batch_engine
    from company_reviewer.batch.engines.local import run as local_run
    from company_reviewer.labeling.backends import get_labeling_backend
    from company_reviewer.labeling.backends.local import run as local_labeling

    assert get_batch_engine("local") is local_run
    assert get_labeling_backend("local") is local_labeling
    with pytest.raises(ValueError, match="unknown batch engine 'spark'; available: local, ray"):
        get_batch_engine("spark")


def test_plugins_command_lists_every_kind_with_origin():
    result = CliRunner().invoke(main, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {row["kind"] for row in rows} == set(registry.KINDS)
    embedded = next(r for r in rows if r["kind"] == "reviewers" and r["name"] == "embedded")
    assert embedded == {"kind": "reviewers", "name": "embedded", "origin": "built-in",
                        "target": "company_reviewer.reviewer.embedded.pipeline:EmbeddedReviewer"}
    text = CliRunner().invoke(main, ["plugins", "--kind", "batch_engines"])
    assert text.exit_code == 0 and "ray" in text.output and "presets" not in text.output
    bad = CliRunner().invoke(main, ["plugins", "--kind", "widgets"])
    assert bad.exit_code == 2 and "available: reviewers" in bad.output


def test_cli_names_are_checked_against_the_registry():
    result = CliRunner().invoke(main, ["batch", "--out", "x.jsonl", "--engine", "spark"])
    assert result.exit_code == 2
    assert "'spark' is not one of the registered batch engines: local, ray" in result.output
