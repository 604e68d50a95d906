#!/usr/bin/env bash
# Launch verl GRPO with the RationaleRM hybrid reward. Needs verl (pip install verl==0.9.1 and rationalerm in the
# same environment: verl imports the reward as pkg://rationalerm.integrations.verl), GPUs, and a MetaJudge served
# over the OpenAI API (e.g. `vllm serve Qwen/Qwen3-30B-A3B-Instruct-2507 --port 8000`), or use matcher=local.
#   KIND=outcome bash examples/verl/launch.sh     # the outcome-only baseline, otherwise identical
#   bash examples/verl/launch.sh reward.reward_manager.name=rate_limited    # extra arguments are Hydra overrides
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DATA="${DATA:-data}"
KIND="${KIND:-hybrid}"
MODEL="${MODEL:-Qwen/Qwen3-30B-A3B}"
NNODES="${NNODES:-1}"
GPUS="${GPUS_PER_NODE:-8}"
python -c 'import rationalerm.integrations.verl' || { echo "rationalerm is not importable here" >&2; exit 1; }
export RATIONALERM_JUDGE_URL="${RATIONALERM_JUDGE_URL:-http://localhost:8000/v1}"

mkdir -p "$DATA"
# prepare-rl's summary goes to stderr: stdout is main_ppo's (`launch.sh --cfg job` prints the composed config).
[ -f "$DATA/helpsteer3_atomic_train.parquet" ] || rationalerm prepare-rl "${TRAIN_JSONL:?set TRAIN_JSONL}" \
    --format verl -o "$DATA/helpsteer3_atomic_train.parquet" >&2
[ -f "$DATA/helpsteer3_atomic_test.parquet" ] || rationalerm prepare-rl "${TEST_JSONL:?set TEST_JSONL}" \
    --format verl -o "$DATA/helpsteer3_atomic_test.parquet" >&2

python -m verl.trainer.main_ppo \
    --config-path "$HERE" --config-name grpo_rationalerm \
    data.train_files="$DATA/helpsteer3_atomic_train.parquet" \
    data.val_files="$DATA/helpsteer3_atomic_test.parquet" \
    actor_rollout_ref.model.path="$MODEL" \
    reward.custom_reward_function.reward_kwargs.kind="$KIND" \
    trainer.experiment_name="$(basename "$MODEL")-$KIND" \
    trainer.nnodes="$NNODES" trainer.n_gpus_per_node="$GPUS" "$@"
