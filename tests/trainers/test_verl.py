"""The verl reward against the real verl (0.9.1), as verl itself loads and calls it, with no GPU and nothing
downloaded: verl's loader (``get_custom_reward_fn``) with ``pkg://`` and with the file path, ``validate_config`` on
the shipped examples config (composed as ``launch.sh`` composes it), ``RewardLoopWorker`` in process with the
reward managers ``naive`` and ``rate_limited``, and ``RewardLoopManager`` on a local Ray cluster. The judge is the
loopback server of ``tests/judge_server.py``; the local matcher is the real encoder. The policy tokenizer is a
byte-level tokenizer built here (verl decodes responses with it).

Runs in its own environment (``scripts/trainers/verl.sh``: verl pins transformers < 5.11, the ``train`` extra needs
>= 5.24); elsewhere it is skipped.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

verl = pytest.importorskip(
    "verl", reason="verl is not installed here: scripts/trainers/verl.sh runs these tests in .venv-verl"
)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.experimental.reward_loop import RewardLoopManager, RewardLoopWorker  # noqa: E402
from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls  # noqa: E402
from verl.trainer.ppo.reward import get_custom_reward_fn  # noqa: E402
from verl.trainer.ppo.utils import need_critic, need_reference_policy  # noqa: E402
from verl.utils.config import validate_config  # noqa: E402

import rationalerm.integrations.verl as verl_reward  # noqa: E402
from judge_server import JudgeServer  # noqa: E402
from rationalerm.reward.adversarial import VERDICT_BOX, generic_reasons, render_completion  # noqa: E402
from rationalerm.runs.prepare_rl import prepare_rl  # noqa: E402
from reward_helpers import DEMO, demo_rows, metajudge_script  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "verl"
PKG = "pkg://rationalerm.integrations.verl"
LABEL = {"A": 1, "B": 2, "tie": 0}
KINDS = ("grounded", "wrong_verdict", "generic")


# -- what verl is given -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A byte-level BPE tokenizer with no merges (every byte a token: decode(encode(text)) == text), saved as a
    Hugging Face tokenizer directory, as verl's ``hf_tokenizer`` loads it."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend)
    tokenizer.add_special_tokens({"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"})
    path = tmp_path_factory.mktemp("tokenizer") / "byte-tokenizer"
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The rows of the parquet ``rationalerm prepare-rl --format verl`` writes (the first four demo samples)."""
    import pyarrow.parquet as pq

    path = tmp_path_factory.mktemp("verl-data") / "train.parquet"
    prepare_rl(DEMO, path, "verl")
    return pq.read_table(path).to_pylist()[:4]


def completions(row: dict) -> dict[str, str]:
    """Per kind: the grounded judge's reasons with the human verdict, the same reasons with the opposite verdict,
    and generic reasons with the human verdict."""
    source = next(r for r in demo_rows() if r["id"] == row["extra_info"]["id"])
    label = LABEL[row["reward_model"]["ground_truth"]]
    assert label in (1, 2)
    reasons = source["judge-grounded-checklist"]
    return {
        "grounded": render_completion(reasons, VERDICT_BOX[label]),
        "wrong_verdict": render_completion(reasons, VERDICT_BOX[3 - label]),
        "generic": render_completion(generic_reasons(label, len(reasons)), VERDICT_BOX[label]),
    }


def trajectories(
    rows: list[dict], tokenizer_dir: str, texts: Any = completions
) -> tuple[DataProto, list[tuple[str, str]]]:
    """verl's rollout output for every (row, kind) of ``texts(row)`` (default: :func:`completions`): prompt and
    response token ids, attention mask, and the row's data_source / reward_model / extra_info columns. Also returns
    (row id, kind) per trajectory."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    items = [(row, kind, text) for row in rows for kind, text in texts(row).items()]
    prompt_ids = [tokenizer.encode("Which response is better?") for _ in items]
    response_ids = [[*tokenizer.encode(text), tokenizer.eos_token_id] for _, _, text in items]
    width_p, width_r = max(map(len, prompt_ids)), max(map(len, response_ids))
    pad = tokenizer.pad_token_id
    prompts = torch.tensor([[pad] * (width_p - len(p)) + p for p in prompt_ids])  # left padded
    responses = torch.tensor([r + [pad] * (width_r - len(r)) for r in response_ids])  # right padded
    mask = torch.tensor(
        [
            [0] * (width_p - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (width_r - len(r))
            for p, r in zip(prompt_ids, response_ids, strict=True)
        ]
    )

    def column(key):
        return np.array([dict(row[key]) if key != "data_source" else row[key] for row, _, _ in items])

    data = DataProto.from_dict(
        tensors={"prompts": prompts, "responses": responses, "attention_mask": mask},
        non_tensors={key: column(key) for key in ("data_source", "reward_model", "extra_info")},
    )
    return data, [(row["extra_info"]["id"], kind) for row, kind, _ in items]


def examples_config(*overrides: str) -> DictConfig:
    """The shipped examples config, composed on verl's ppo_trainer as main_ppo composes it (resolved)."""
    with initialize_config_dir(config_dir=str(EXAMPLES), version_base=None):
        config = compose(config_name="grpo_rationalerm", overrides=list(overrides))
    OmegaConf.resolve(config)
    return config


def reward_overrides(
    tokenizer_dir: str, *, manager: str, name: str, matcher: str, judge: JudgeServer | None
) -> list[str]:
    kwargs = "reward.custom_reward_function.reward_kwargs"
    out = [
        f"actor_rollout_ref.model.path={tokenizer_dir}",
        f"reward.reward_manager.name={manager}",
        f"reward.custom_reward_function.name={name}",
        f"{kwargs}.matcher={matcher}",
    ]
    if judge is not None:
        out.append(f"{kwargs}.base_url={judge.url}")
        out.append(f"{kwargs}.judge_model=judge")
    return out


@pytest.fixture
def judge() -> Iterator[JudgeServer]:
    """The loopback MetaJudge: grades reasons by token overlap, one-to-one."""
    with JudgeServer(metajudge_script(gullible=False)) as server:
        yield server


def judge_request(request: Any) -> str:
    """What a judge request asks (its messages), to count the distinct ones."""
    return repr(request.body["messages"])


def scores_by_kind(scores: list[float], keys: list[tuple[str, str]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for (_, kind), score in zip(keys, scores, strict=True):
        out[kind].append(round(float(score), 4))
    print({kind: values for kind, values in out.items()})  # the figures, in the test log (-s / -rA)
    return out


def assert_ordered(by_kind: dict[str, list[float]]) -> None:
    """Grounded reasons with the right verdict earn a positive reward; a wrong verdict or generic reasons earn 0."""
    assert all(score > 0.3 for score in by_kind["grounded"]), by_kind
    assert by_kind["wrong_verdict"] == [0.0] * len(by_kind["wrong_verdict"]), by_kind
    assert by_kind["generic"] == [0.0] * len(by_kind["generic"]), by_kind


# -- verl's loader ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["compute_score", "compute_score_async"])
@pytest.mark.parametrize("path", [PKG, verl_reward.__file__], ids=["pkg", "file"])
def test_verl_loads_the_reward_by_pkg_and_by_file_path(
    path: str, name: str, rows: list[dict], judge: JudgeServer, tokenizer_dir: str
) -> None:
    config = examples_config(
        f"reward.custom_reward_function.path={path}",
        *reward_overrides(tokenizer_dir, manager="naive", name=name, matcher="llm", judge=judge),
    )
    fn = get_custom_reward_fn(config)
    assert fn is not None
    row = rows[0]
    texts = completions(row)

    async def call(text: str) -> Any:
        result = fn(
            data_source=row["data_source"],
            solution_str=text,
            ground_truth=row["reward_model"]["ground_truth"],
            extra_info=dict(row["extra_info"]),
        )
        return await result if asyncio.iscoroutine(result) else result

    results = {kind: asyncio.run(call(text)) for kind, text in texts.items()}
    assert results["grounded"]["score"] > 0.3 and results["grounded"]["judge_failed"] == 0.0
    assert results["wrong_verdict"]["score"] == 0.0 and results["generic"]["score"] == 0.0
    assert judge.count >= 1 and {r.body["model"] for r in judge.requests} == {"judge"}


# -- the config main_ppo checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("manager", ["naive", "rate_limited"])
def test_the_examples_config_passes_validate_config(manager: str) -> None:
    config = examples_config(f"reward.reward_manager.name={manager}")
    validate_config(
        config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config)
    )
    assert get_reward_manager_cls(config.reward.reward_manager.name) is not None
    reward = config.reward.custom_reward_function
    assert (reward.path, reward.name) == (PKG, "compute_score_async")
    assert config.reward.reward_manager.source == "register"


def test_launch_sh_composes_a_valid_config(tmp_path: Path) -> None:
    """examples/verl/launch.sh as its header says (prepare-rl writes the parquet files), with Hydra's ``--cfg job``
    so main_ppo prints the config it would run instead of starting Ray and the GPUs."""
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", DATA=str(tmp_path / "data"))
    env.update(TRAIN_JSONL=str(DEMO), TEST_JSONL=str(DEMO), GPUS_PER_NODE="8")
    done = subprocess.run(
        ["bash", str(EXAMPLES / "launch.sh"), "--cfg", "job", "--resolve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "data" / "helpsteer3_atomic_train.parquet").exists()
    config = OmegaConf.create(done.stdout)
    validate_config(
        config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config)
    )
    assert config.reward.custom_reward_function.path == PKG
    assert config.reward.custom_reward_function.reward_kwargs.kind == "hybrid"


# -- verl's reward loop -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("manager", "name", "matcher"),
    [
        ("naive", "compute_score_async", "llm"),
        ("naive", "compute_score", "local"),
        ("rate_limited", "compute_score_async", "local"),
        ("rate_limited", "compute_score", "llm"),
    ],
)
def test_reward_loop_worker_scores_every_trajectory(
    manager: str, name: str, matcher: str, rows: list[dict], tokenizer_dir: str, judge: JudgeServer
) -> None:
    config = examples_config(
        *reward_overrides(
            tokenizer_dir,
            manager=manager,
            name=name,
            matcher=matcher,
            judge=judge if matcher == "llm" else None,
        )
    )
    data, keys = trajectories(rows, tokenizer_dir)

    async def run() -> list[dict]:
        worker = RewardLoopWorker(config)  # in the running loop, as a Ray actor makes it in its own
        return await worker.compute_score_batch(data)

    outputs = asyncio.run(run())
    assert len(outputs) == len(keys)
    infos = [output["reward_extra_info"] for output in outputs]
    assert all(info.keys() == infos[0].keys() for info in infos)  # verl stacks them key by key
    assert all(info["judge_failed"] == 0.0 and info["valid"] == 1.0 for info in infos)
    assert_ordered(scores_by_kind([output["reward_score"] for output in outputs], keys))
    if matcher == "llm":
        assert {r.body["model"] for r in judge.requests} == {"judge"}
        # match_all (the examples' setting) also grades the wrong verdicts' reasons, for the logs; generic
        # reasons are voided by the guards and never reach the judge. A wrong verdict carries its row's grounded
        # reasons: the same request, sent once when both calls are gathered into one batch.
        assert len(rows) <= judge.count <= 2 * len(rows)
        assert len({judge_request(r) for r in judge.requests}) == len(rows)
    else:
        from rationalerm.integrations import ScorerSpec
        from rationalerm.integrations._runtime import shared_runtime

        batcher = shared_runtime().local_matcher(ScorerSpec(matcher="local"))
        assert (
            batcher is not None and batcher.batches < batcher.requests
        )  # concurrent calls share encoder batches


def test_one_worker_opens_one_judge_pool_for_256_concurrent_trajectories(
    rows: list[dict], tokenizer_dir: str, judge: JudgeServer
) -> None:
    """verl's worker given 256 trajectories at once (compute_score_batch makes a task per trajectory, as the agent
    loop's calls arrive): one scorer (one judge pool, one connector) serves them all, the judge sees no more TCP
    connections than the pool's concurrency, and its slots are used."""
    from rationalerm.integrations._runtime import shared_runtime

    judge.latency = 0.02
    concurrency = 16
    config = examples_config(
        *reward_overrides(
            tokenizer_dir, manager="naive", name="compute_score_async", matcher="llm", judge=judge
        ),
        f"+reward.custom_reward_function.reward_kwargs.concurrency={concurrency}",
    )

    def rollouts(row: dict) -> dict[str, str]:  # 64 per row, each its own judge request
        source = next(r for r in demo_rows() if r["id"] == row["extra_info"]["id"])
        box = VERDICT_BOX[LABEL[row["reward_model"]["ground_truth"]]]
        reasons = source["judge-grounded-checklist"]
        return {f"grounded-{k}": render_completion([f"{r} ({k})" for r in reasons], box) for k in range(64)}

    data, _ = trajectories(rows, tokenizer_dir, rollouts)
    runtime = shared_runtime()
    opened = runtime.scorers_opened

    async def run() -> list[dict]:
        return await RewardLoopWorker(config).compute_score_batch(data)

    outputs = asyncio.run(run())
    assert len(outputs) == 256
    assert all(o["reward_score"] > 0.3 and o["reward_extra_info"]["judge_failed"] == 0.0 for o in outputs)
    assert runtime.scorers_opened == opened + 1
    assert judge.count == 256 and judge.accepted <= concurrency, (judge.count, judge.accepted)
    assert concurrency // 2 < judge.max_in_flight <= concurrency


def test_a_verl_served_judge_is_asked_for_the_model_it_serves(rows: list[dict], tokenizer_dir: str) -> None:
    """reward.reward_model.enable: verl serves the judge, passes reward_router_address and the reward model's
    tokenizer; with no judge_model configured, the judge is asked for the model its server serves."""
    with JudgeServer(metajudge_script(gullible=False), models=[tokenizer_dir, "another-model"]) as server:
        config = examples_config(
            *reward_overrides(
                tokenizer_dir, manager="naive", name="compute_score_async", matcher="llm", judge=None
            ),
            "~reward.custom_reward_function.reward_kwargs.judge_model",
            "~reward.custom_reward_function.reward_kwargs.base_url",
            "reward.reward_model.enable=true",
            f"reward.reward_model.model_path={tokenizer_dir}",
        )
        data, keys = trajectories(rows[:2], tokenizer_dir)
        router = server.url.removeprefix("http://").removesuffix("/v1")

        async def run() -> list[dict]:
            worker = RewardLoopWorker(config, reward_router_address=router)
            return await worker.compute_score_batch(data)

        outputs = asyncio.run(run())
        assert_ordered(scores_by_kind([o["reward_score"] for o in outputs], keys))
        assert 2 <= server.count <= 4 and {r.body["model"] for r in server.requests} == {tokenizer_dir}


def test_a_judge_failure_is_counted_in_reward_extra_info(rows: list[dict], tokenizer_dir: str) -> None:
    from judge_server import chat_reply

    with JudgeServer(lambda request, number: chat_reply("I cannot grade this.")) as server:
        config = examples_config(
            *reward_overrides(
                tokenizer_dir, manager="naive", name="compute_score_async", matcher="llm", judge=server
            )
        )
        data, keys = trajectories(rows[:2], tokenizer_dir)

        async def run() -> list[dict]:
            return await RewardLoopWorker(config).compute_score_batch(data)

        outputs = asyncio.run(run())
    flags = {key: o["reward_extra_info"]["judge_failed"] for key, o in zip(keys, outputs, strict=True)}
    assert [flag for (_, kind), flag in flags.items() if kind == "grounded"] == [1.0, 1.0]
    assert all(o["reward_score"] == 0.0 for o in outputs)
    assert sum(flags.values()) == 2.0  # the wrong verdicts and generic reasons earned their 0: not flagged


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    import ray

    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=True, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.parametrize(
    ("manager", "name", "matcher"),
    [("naive", "compute_score_async", "llm"), ("rate_limited", "compute_score", "local")],
)
def test_reward_loop_manager_on_ray(
    manager: str,
    name: str,
    matcher: str,
    ray_cluster: None,
    rows: list[dict],
    tokenizer_dir: str,
    judge: JudgeServer,
) -> None:
    """verl's RewardLoopManager: reward workers as Ray actors (2 here), the batch split between them, the
    scores placed on each response's last token and the parts returned as reward_extra_info."""
    import ray

    config = examples_config(
        *reward_overrides(
            tokenizer_dir,
            manager=manager,
            name=name,
            matcher=matcher,
            judge=judge if matcher == "llm" else None,
        ),
        "reward.num_workers=2",
    )
    data, keys = trajectories(rows, tokenizer_dir)
    loop_manager = RewardLoopManager(config)
    try:
        out = loop_manager.compute_rm_score(data)
    finally:
        for worker in loop_manager.reward_loop_workers:  # named actors: the next test makes its own
            ray.kill(worker)
    scores = out.batch["rm_scores"].sum(dim=-1).tolist()
    assert out.batch["rm_scores"].shape == data.batch["responses"].shape
    assert_ordered(scores_by_kind(scores, keys))
    extra = out.meta_info["reward_extra_keys"]
    assert {"score", "outcome", "ap", "judge_failed", "valid"} <= set(extra)
    assert out.non_tensor_batch["judge_failed"].tolist() == [0.0] * len(keys)
    if matcher == "llm":  # a row's grounded and wrong-verdict reasons: one request when gathered together
        assert len(rows) <= judge.count <= 2 * len(rows)
        assert len({judge_request(r) for r in judge.requests}) == len(rows)
    else:
        assert judge.count == 0
