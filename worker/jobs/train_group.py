"""Train all runs of one model shape in a capacity sweep together, then evaluate each.

params (core.jobs.TrainGroupJob): model shape, train knobs, members [{run_id,
n_samples, seed}], n_heldout. Run (N, seed) trains on uniform_tokens(N, S, V, seed) (nested in N
for a seed) and is tested on held-out samples from an independent stream. The stack is
checkpointed every `checkpoint_every` steps; a re-claimed job resumes from the last checkpoint
and ends bit for bit as an uninterrupted one would.
"""

from __future__ import annotations

from memdash.core.results import GroupResult
from memdash.worker.jobs.context import JobCancelled, JobContext

HELDOUT_SEED_OFFSET = 1_000_003


def run(ctx: JobContext) -> GroupResult:
    from memdash.core.metrics.capacity import synthetic_dataset_bits
    from memdash.worker.data.synthetic import uniform_tokens
    from memdash.worker.device import pick_device
    from memdash.worker.evaluate import evaluate_uniform
    from memdash.worker.inference import MemdashScorer
    from memdash.worker.model import GPTConfig
    from memdash.worker.train import train_many
    from memdash.worker.train_config import TrainConfig

    shape = ctx.params.model
    model_config = GPTConfig.of(shape, shape.vocab_size, shape.seq_len)
    config = TrainConfig.from_params(ctx.params.train)
    members = ctx.params.members
    V, S = model_config.vocab_size, model_config.seq_len
    datasets = [uniform_tokens(m.n_samples, S, V, m.seed) for m in members]
    heldouts = [
        uniform_tokens(ctx.params.n_heldout, S, V, m.seed + HELDOUT_SEED_OFFSET) for m in members
    ]
    device = pick_device(ctx.device)
    ctx.progress(0.0, f"training {len(members)} models together")
    results = train_many(
        model_config,
        config,
        datasets,
        [m.seed for m in members],
        device=device,
        on_progress=lambda step, total, active: ctx.progress(
            0.9 * step / total, f"step {step}/{total}, {active} still improving"
        ),
        should_stop=ctx.should_stop,
        heldouts=heldouts,
        checkpoint_path=ctx.work_dir / "stack.pt",
        resume_from=ctx.resume_path,
        on_checkpoint=ctx.checkpoint,
    )
    if ctx.should_stop():
        raise JobCancelled()
    runs = {}
    for i, (member, result) in enumerate(zip(members, results, strict=True)):
        ctx.progress(0.9 + 0.1 * i / len(members), f"evaluating run {member.run_id}")
        evaluation = evaluate_uniform(MemdashScorer(result.model), datasets[i], heldouts[i], V)
        evaluation.summary.update(
            steps=result.steps,
            stop_reason=result.stop_reason,
            resumed_from_step=result.resumed_from_step,
            n_train=member.n_samples,
            dataset_bits=synthetic_dataset_bits(member.n_samples, S, V),
            device=str(device),
        )
        runs[member.run_id] = evaluation.run_result(result.model.n_params(), result.curve)
    return GroupResult(runs=runs)
