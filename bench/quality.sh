#!/usr/bin/env bash
# Detection-quality benchmark (README "Detection quality"): train on a 60-day
# simulated history, score a held-out simulation (other seed, other users) over
# its whole history, evaluate its last 14 days. Deterministic for the seeds:
# TEST_SEED picks another held-out simulation (the README's seed table).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-var/quality}
USERS=${USERS:-5000}
RM=${RM:-.venv/bin/riskmon}
TEST_SEED=${TEST_SEED:-202}
mkdir -p "$OUT"
$RM --seed 101 simulate --users "$USERS" --days 60 --user-prefix h \
    --output "$OUT/history.jsonl" --labels "$OUT/history-labels.jsonl"
$RM train --input "$OUT/history.jsonl" --output "$OUT/model"
# Episodes may start two weeks before the window so the slow typologies
# (borrow-to-repay needs ~4 weeks, overdue escalation ~3) unfold inside it.
$RM --seed "$TEST_SEED" simulate --users "$USERS" --days 74 --user-prefix t --anomaly-start-day 46 --festival-day 66 \
    --output "$OUT/test.jsonl" --labels "$OUT/test-labels.jsonl"
$RM score --model "$OUT/model" --input "$OUT/test.jsonl" --output "$OUT/scores.jsonl"
$RM evaluate --scores "$OUT/scores.jsonl" --labels "$OUT/test-labels.jsonl" --events "$OUT/test.jsonl" \
    --window-start 2026-04-30T00:00:00+08:00 --report "$OUT/report" "$@"
