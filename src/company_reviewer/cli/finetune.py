"""``company-reviewer finetune``: training data, local LoRA, merging, hosted jobs for the LLM reviewer."""

from __future__ import annotations

import json
from pathlib import Path

import click

from company_reviewer.cli.common import RegistryName, console, database_option


def _split_files(path: str) -> tuple[Path, Path | None]:
    """A JSONL file, or a folder ``finetune data`` wrote (its train.jsonl and validation.jsonl)."""
    p = Path(path)
    if p.is_dir():
        train, validation = p / "train.jsonl", p / "validation.jsonl"
        if not train.exists():
            raise click.ClickException(f"{p} has no train.jsonl; run `company-reviewer finetune data --out {p}`")
        return train, validation if validation.exists() and validation.stat().st_size else None
    return p, None


@click.group()
def finetune() -> None:
    """Fine-tune the LLM reviewer: build chat JSONL, train LoRA locally, or run a hosted job.

    \b
    company-reviewer finetune data reviews.csv --source silver --out ft/       # pairs + checks
    company-reviewer finetune lora ft/ --out runs/lora1                       # local LoRA (SmolLM2)
    company-reviewer finetune merge runs/lora1 --out models/smollm2-ft        # for llm:transformers:DIR
    company-reviewer finetune job ft/ --model gpt-4o-mini-2024-07-18          # OpenAI-compatible API
    """


@finetune.command("data")
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(dir_okay=False))
@click.option("--source", type=click.Choice(["gold", "teacher", "silver"]), required=True,
              help="Targets from a gold file (--gold), a teacher model (--teacher) or the embedded writer.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for train.jsonl, validation.jsonl and manifest.json.")
@click.option("--gold", "gold_path", type=click.Path(exists=True, dir_okay=False),
              help="Gold reviews: JSON/JSONL of company reviews (the `review --format json` contract) or "
                   "{company, dimension, paragraph, pros?, cons?} records.")
@click.option("--teacher", default=None, metavar="BACKEND[:MODEL]", help="Teacher, e.g. openai:gpt-4o.")
@click.option("--teacher-option", "teacher_options", multiple=True, metavar="KEY=VALUE",
              help="Teacher backend option (repeatable), e.g. base_url=http://host/v1.")
@click.option("--task", "tasks", multiple=True, type=click.Choice(["grounded", "single"]), default=("grounded",),
              show_default=True, help="grounded: evidence -> paragraph per dimension; single: reviews -> review.")
@click.option("--company", "companies", multiple=True,
              help="Only this company (repeatable); without INPUT, from the store.")
@click.option("--max-companies", type=click.IntRange(1), default=None, help="At most this many companies.")
@click.option("--max-reviews", default=50, show_default=True, type=click.IntRange(1), help="Reviews per company.")
@click.option("--sample", default="stratified", show_default=True,
              type=click.Choice(["stratified", "random", "recent", "all"]))
@click.option("--target", "target_name", default="openai:gpt-4o-mini", show_default=True,
              help="Where the file goes: decides the token limit and the price (see --targets).")
@click.option("--targets", "targets_file", type=click.Path(exists=True, dir_okay=False),
              help="YAML/JSON rows overriding or adding targets (limits, prices).")
@click.option("--tokenizer", default="smollm2", show_default=True, type=RegistryName("token_counters"),
              help="smollm2: the bundled model's tokenizer; approx: characters/4 (no model needed); or a plugin's.")
@click.option("--validation-fraction", default=0.15, show_default=True, type=click.FloatRange(0, 0.9))
@click.option("--epochs", default=3, show_default=True, type=click.IntRange(1), help="For the cost estimate.")
@click.option("--preset", default=None, help="Input layout for INPUT (default: detected).")
@click.option("--random-state", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@database_option
def data(input_path, source, out_dir, gold_path, teacher, teacher_options, tasks, companies, max_companies,
         max_reviews, sample, target_name, targets_file, tokenizer, validation_fraction, epochs, preset,
         random_state, as_json, database_url):
    """Training pairs as chat-format JSONL (OpenAI, Together, Fireworks), validated and split by company.

    Reviews come from INPUT (any file `ingest` reads) or the store (--company). Every example is
    checked (roles and order, non-empty, assistant last, tokens against the target's limit); a
    company's examples all land in one split; the cost is estimated from the target's price.
    """
    from tqdm import tqdm

    from company_reviewer.cli.common import load_groups, parse_options
    from company_reviewer.finetune import pairs
    from company_reviewer.finetune.dataset import build_dataset
    from company_reviewer.finetune.targets import get_target, load_targets
    from company_reviewer.finetune.tokens import get_counter
    from company_reviewer.sampling import sample_reviews

    try:
        target = get_target(target_name, load_targets(targets_file))
        records = pairs.read_gold(gold_path) if source == "gold" else None
    except (KeyError, ValueError) as exc:
        raise click.ClickException(str(exc.args[0] if isinstance(exc, KeyError) else exc)) from exc
    if source == "gold" and records is None:
        raise click.UsageError("--source gold needs --gold FILE")
    if source == "teacher" and not teacher:
        raise click.UsageError("--source teacher needs --teacher BACKEND[:MODEL], e.g. openai:gpt-4o")
    if records is not None and not companies:
        companies = tuple(sorted({r["company"] for r in records}))
    groups = load_groups(input_path, companies, preset, database_url)[: max_companies or None]
    backend = None
    if source == "teacher":
        from company_reviewer.llm.backends.base import LLMBackendError, get_backend

        try:
            backend = get_backend(teacher, parse_options(teacher_options))
        except (LLMBackendError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
    examples = []
    for company, reviews in tqdm(groups, desc=f"{source} pairs", unit=" company", leave=False):
        chosen = sample_reviews(reviews, k=max_reviews, strategy=sample, random_state=random_state)
        if source == "silver":
            examples += pairs.silver_pairs(company, chosen, tasks)
        elif source == "gold":
            examples += pairs.gold_pairs(company, chosen, records, tasks)
        else:
            examples += pairs.teacher_pairs(company, chosen, backend, tasks)
    if not examples:
        raise click.ClickException("no training pairs: the companies gave no dimension with evidence "
                                   "(or no gold text matched them); check --company and the input")
    report = build_dataset(examples, out_dir, target_name=target_name, target=target, count=get_counter(tokenizer),
                           tokenizer_name=tokenizer, validation_fraction=validation_fraction, epochs=epochs,
                           random_state=random_state)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    _print_report(report, out_dir, target)


def _print_report(report, out_dir, target) -> None:
    from rich.table import Table

    table = Table(title=f"fine-tuning data -> {out_dir} (target {report.target}, {report.tokenizer} tokens)")
    for column in ("split", "examples", "companies", "tokens", "longest example"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for name in ("train", "validation"):
        table.add_row(name, str(report.counts[name]), str(len(report.companies[name])), f"{report.tokens[name]:,}",
                      f"{report.max_tokens[name]:,} / {target.max_tokens_per_example:,}")
    out = console()
    out.print(table)
    out.print(f"estimated training cost: ${report.estimated_cost_usd:.4f} ({report.tokens['train']:,} tokens x "
              f"{report.epochs} epochs x ${target.usd_per_million_tokens}/M); rejected {len(report.rejected)}, "
              f"duplicates {report.duplicates}")
    for row in report.rejected[:5]:
        out.print(f"  rejected {row['company']} {row['task']}: {'; '.join(row['problems'])}")
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/yellow] {warning}")


@finetune.command("lora")
@click.argument("train", type=click.Path(exists=True))
@click.option("--validation", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Validation JSONL (default: validation.jsonl beside a TRAIN folder).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Run folder: adapter/, training_log.jsonl, MODEL_CARD.md.")
@click.option("--base-model", default=None, help="HF model folder or .gguf file (default: bundled SmolLM2-135M).")
@click.option("--max-steps", default=60, show_default=True, type=click.IntRange(1))
@click.option("--learning-rate", "--lr", "learning_rate", default=2e-4, show_default=True, type=float)
@click.option("--lora-r", default=8, show_default=True, type=click.IntRange(1))
@click.option("--lora-alpha", default=16, show_default=True, type=click.IntRange(1))
@click.option("--lora-dropout", default=0.05, show_default=True, type=click.FloatRange(0, 0.99))
@click.option("--target-modules", default="q_proj,k_proj,v_proj,o_proj", show_default=True,
              help="Comma-separated module names that get adapters.")
@click.option("--max-seq-length", default=512, show_default=True, type=click.IntRange(16))
@click.option("--batch-size", default=1, show_default=True, type=click.IntRange(1))
@click.option("--grad-accum", "gradient_accumulation_steps", default=1, show_default=True, type=click.IntRange(1))
@click.option("--random-state", default=0, show_default=True)
@click.option("--threads", "num_threads", default=None, type=click.IntRange(1),
              help="CPU threads (default: torch's). On a shared machine 1 can be several times faster.")
def lora(train, validation, out_dir, base_model, max_steps, learning_rate, lora_r, lora_alpha, lora_dropout,
         target_modules, max_seq_length, batch_size, gradient_accumulation_steps, random_state, num_threads):
    """LoRA SFT (transformers + peft + trl) on TRAIN (a JSONL file or a `finetune data` folder).

    Loss on the assistant reply only; GPU when torch sees one, else CPU (SmolLM2-135M: a few
    seconds per 512-token step on two cores).
    """
    from company_reviewer.finetune.lora import LoraSettings, train_lora

    train_file, default_validation = _split_files(train)
    settings = LoraSettings(
        base_model=base_model, max_steps=max_steps, learning_rate=learning_rate, lora_r=lora_r,
        lora_alpha=lora_alpha, lora_dropout=lora_dropout,
        target_modules=tuple(m.strip() for m in target_modules.split(",") if m.strip()),
        max_seq_length=max_seq_length, batch_size=batch_size,
        gradient_accumulation_steps=gradient_accumulation_steps, random_state=random_state, num_threads=num_threads,
    )
    try:
        summary = train_lora(train_file, out_dir, settings, validation or default_validation)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"trained {summary['steps']} steps on {summary['device']} in {summary['seconds']} s "
               f"({summary['steps_per_second']} steps/s); training loss {summary['loss_first']:.3f} -> "
               f"{summary['loss_last']:.3f} (means of {summary['loss_window']} steps)"
               + (f", validation loss {summary['eval_loss_first']:.3f} -> {summary['eval_loss_last']:.3f}"
                  if summary["eval_loss_last"] is not None else ""))
    if summary["truncated_examples"]:
        click.echo(f"warning: {summary['truncated_examples']} of {summary['train_examples']} examples are longer "
                   f"than --max-seq-length {max_seq_length} and lost the end of their reply", err=True)
    click.echo(f"adapter, log and model card in {out_dir}; merge for serving: "
               f"company-reviewer finetune merge {out_dir} --out MERGED_DIR")


@finetune.command("merge")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
def merge(run_dir, out_dir):
    """Merge a LoRA run's adapter into its base and save a Hugging Face model folder.

    Serve it with `--model llm:transformers:OUT`. For the llamacpp backend convert it with llama.cpp's
    `convert_hf_to_gguf.py OUT --outfile model.gguf --outtype f16` (needs a llama.cpp checkout).
    """
    from company_reviewer.finetune.lora import merge_adapter

    try:
        out = merge_adapter(run_dir, out_dir)
    except FileNotFoundError as exc:
        raise click.ClickException(f"{exc}; is {run_dir} a `finetune lora` output folder?") from exc
    click.echo(f"merged model in {out}; use it with --model llm:transformers:{Path(out).resolve()}")


@finetune.command("job")
@click.argument("train", required=False, type=click.Path(exists=True))
@click.option("--validation", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--model", default="gpt-4o-mini-2024-07-18", show_default=True, envvar="COMPANY_REVIEWER_FINETUNE_MODEL",
              help="Base model to fine-tune ($COMPANY_REVIEWER_FINETUNE_MODEL).")
@click.option("--base-url", default=None, help="API base (default $COMPANY_REVIEWER_FINETUNE_BASE_URL, "
              "$OPENAI_BASE_URL, else https://api.openai.com/v1).")
@click.option("--api-key", default=None, help="Default $COMPANY_REVIEWER_FINETUNE_API_KEY or $OPENAI_API_KEY.")
@click.option("--suffix", default="company-reviewer", show_default=True, help="Part of the fine-tuned model's name.")
@click.option("--epochs", "n_epochs", default="auto", show_default=True, help="Epochs, or auto.")
@click.option("--seed", default=0, show_default=True)
@click.option("--poll-seconds", default=30.0, show_default=True, type=click.FloatRange(0))
@click.option("--timeout", "timeout_seconds", default=6 * 3600.0, show_default=True, type=click.FloatRange(1))
@click.option("--resume", "resume_id", default=None, metavar="JOB_ID", help="Wait for (and record) an existing job.")
def job(train, validation, model, base_url, api_key, suffix, n_epochs, seed, poll_seconds, timeout_seconds,
        resume_id):
    """Upload TRAIN, create a fine-tuning job, poll it and record the model (OpenAI-compatible API).

    TRAIN is a JSONL file or a `finetune data` folder. The resulting model is recorded in
    <data dir>/finetune/models.json and logged to experiment tracking. Note: OpenAI's self-serve
    fine-tuning of gpt-4o-mini closes to new jobs in January 2027. The same JSONL trains on
    Together and Fireworks (upload it with their tools: their job APIs differ), or point --base-url
    at any server implementing OpenAI's files/fine_tuning endpoints.
    """
    from company_reviewer.finetune.jobs import FineTuneJobError, FineTuningClient, record_job, run_job

    def show(event: dict) -> None:
        click.echo(f"  {event.get('message')}", err=True)

    try:
        client = FineTuningClient(base_url, api_key)
        if resume_id:
            final = client.wait(resume_id, poll_seconds=poll_seconds, timeout_seconds=timeout_seconds, on_event=show)
            record = record_job(final, base_url=client.base_url, files={})
            if record["status"] != "succeeded":
                raise FineTuneJobError(f"job {resume_id} {record['status']}: {record.get('error')}")
        else:
            if not train:
                raise click.UsageError("give TRAIN (a JSONL file or `finetune data` folder), or --resume JOB_ID")
            train_file, default_validation = _split_files(train)
            epochs = int(n_epochs) if str(n_epochs).isdigit() else "auto"
            record = run_job(client, train_file=train_file, model=model,
                             validation_file=validation or default_validation, suffix=suffix, seed=seed,
                             n_epochs=epochs, poll_seconds=poll_seconds, timeout_seconds=timeout_seconds,
                             on_event=show)
    except FineTuneJobError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"fine-tuned model {record['fine_tuned_model']} (job {record['job_id']}); use it with "
               f"--model llm:openai:{record['fine_tuned_model']}")


@finetune.command("models")
@click.option("--json", "as_json", is_flag=True)
def models(as_json):
    """The fine-tuning jobs recorded so far (<data dir>/finetune/models.json)."""
    from company_reviewer.finetune.jobs import read_registry, registry_path

    rows = read_registry()
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo(f"no fine-tuning jobs recorded in {registry_path()}")
    for row in rows:
        click.echo(f"{row['recorded_at']}  {row['status']:10s}  {row['job_id']}  {row.get('fine_tuned_model') or '-'}"
                   f"  ({row['base_model']} @ {row['base_url']})")


COMMANDS = [finetune]
