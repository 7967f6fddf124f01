#!/usr/bin/env bash
# What the rule-storm hold costs in a real fraud wave (docs/worlds.md, "Rule storms"):
# train on the simulator's usual history (3 % of users misbehave), score a test
# stream in which WAVE of the users misbehave (default 10 %), and evaluate it with
# the hold at each factor in FACTORS (0 = off). Prints user recall, the share of
# well-behaved users flagged, the alerts held (how many on label-1 events) and
# borrow_to_repay's event recall, the rule a wave lifts most.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-var/storm_wave}
RM=${RM:-.venv/bin/riskmon}
PY=${PY:-.venv/bin/python}
WAVE=${WAVE:-0.1}
FACTORS=${FACTORS:-0 5 10}
mkdir -p "$OUT"
$RM --seed 101 simulate --users 5000 --days 60 --user-prefix h --output "$OUT/history.jsonl" \
    --labels "$OUT/history-labels.jsonl" > /dev/null
$RM train --input "$OUT/history.jsonl" --output "$OUT/model" > /dev/null
$RM --seed 303 simulate --users 5000 --days 74 --user-prefix t --anomaly-start-day 46 --festival-day 66 \
    --anomaly-rate "$WAVE" --output "$OUT/test.jsonl" --labels "$OUT/test-labels.jsonl" > /dev/null
for k in $FACTORS; do
    RISKMON_RULE_STORM_FACTOR=$k $RM score --model "$OUT/model" --input "$OUT/test.jsonl" \
        --output "$OUT/scores-$k.jsonl" > /dev/null
    $RM evaluate --scores "$OUT/scores-$k.jsonl" --labels "$OUT/test-labels.jsonl" --events "$OUT/test.jsonl" \
        --window-start 2026-04-30T00:00:00+08:00 --json | sed -n '/^{/,$p' > "$OUT/eval-$k.json"
    $PY - "$OUT/eval-$k.json" "$k" "$WAVE" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
u, h = e["users"], e["at_threshold"]["held"]
b2r = e["scenarios"].get("borrow_to_repay", {}).get("recall")
print(f"wave {sys.argv[3]}, storm factor {sys.argv[2]}: user recall {u['user_recall']:.3f}, "
      f"well-behaved flagged {u['well_behaved_flagged_share']:.2%}, held {h['alerts']} ({h['true_alerts']} label 1), "
      f"borrow_to_repay recall {b2r:.2f}")
PY
done
