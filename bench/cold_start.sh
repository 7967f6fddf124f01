#!/usr/bin/env bash
# What a worker started without state misses (docs/operations.md, "First deployment:
# seeding the state"). One stream, one model trained on its history; the test window
# is scored twice: after the history (what a seeded worker, or one that has run all
# along, decides) and alone (a worker deployed on an empty changelog at the window).
# Prints user recall, loan ROC-AUC / PR-AUC and well-behaved users flagged for both, and the
# entity alerts raised inside the window, by fortnight of it.
#
#   bash bench/cold_start.sh                              # the simulator (bench/quality.sh's streams)
#   WORLD=stream.worlds:baseline SEED=1 bash bench/cold_start.sh   # a held-out world, 3,000 users, 45 + 14 days
#   WORLD=stream.worlds_o:fishing_moratorium TEST_DAYS=28 bash bench/cold_start.sh   # a 28-day window
set -euo pipefail
cd "$(dirname "$0")/.."
RM=${RM:-.venv/bin/riskmon}
PY=${PY:-.venv/bin/python}
WORLD=${WORLD:-}
SEED=${SEED:-1}
TEST_DAYS=${TEST_DAYS:-14}
OUT=${OUT:-var/cold_start/${WORLD:-simulator}-$SEED}
mkdir -p "$OUT"
if [ -z "$WORLD" ]; then
    OUT="$OUT" bash bench/quality.sh > /dev/null
    EVENTS="$OUT/test.jsonl"; LABELS="$OUT/test-labels.jsonl"; SEEDED="$OUT/scores.jsonl"
    START=2026-04-30T00:00:00+08:00
else
    $PY -m "${WORLD%%:*}" --world "${WORLD#*:}" --seed "$SEED" --users 3000 --history-days 45 --test-days "$TEST_DAYS" \
        --out "$OUT/events.jsonl" --labels "$OUT/labels.jsonl" > /dev/null
    EVENTS="$OUT/events.jsonl"; LABELS="$OUT/labels.jsonl"; SEEDED="$OUT/seeded.jsonl"
    START=$($PY -c 'import sys, json; from datetime import datetime, timedelta
print((min(datetime.fromisoformat(json.loads(l)["ts"]) for l in open(sys.argv[1])) + timedelta(days=45)).isoformat())' "$EVENTS")
fi
# The history (before the window) and the window alone, in file order.
$PY - "$EVENTS" "$START" "$OUT" <<'PY'
import json, sys
from datetime import datetime
events, start, out = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]
with open(events) as f, open(f"{out}/history-part.jsonl", "w") as h, open(f"{out}/window.jsonl", "w") as w:
    for line in f:
        (w if datetime.fromisoformat(json.loads(line)["ts"]) >= start else h).write(line)
PY
if [ -n "$WORLD" ]; then  # (bench/quality.sh trained the simulator's model on another history)
    $RM train --input "$OUT/history-part.jsonl" --output "$OUT/model" > /dev/null
    $RM score --model "$OUT/model" --input "$EVENTS" --output "$SEEDED" > /dev/null
fi
$RM score --model "$OUT/model" --input "$OUT/window.jsonl" --output "$OUT/cold.jsonl" > /dev/null
for run in seeded cold; do
    scores=$([ "$run" = seeded ] && echo "$SEEDED" || echo "$OUT/cold.jsonl")
    $RM evaluate --scores "$scores" --labels "$LABELS" --events "$EVENTS" --window-start "$START" --json \
        | sed -n '/^{/,$p' > "$OUT/eval-$run.json"
done
$PY - "$OUT" "${WORLD:-simulator}" "$EVENTS" "$START" "$SEEDED" <<'PY'
import json, sys
from collections import Counter
from datetime import datetime
out, name, events, start, seeded = sys.argv[1], sys.argv[2], sys.argv[3], datetime.fromisoformat(sys.argv[4]), sys.argv[5]
day = {}  # event id -> day of the window (negative: the history)
with open(events) as f:
    for line in f:
        e = json.loads(line)
        day[e["event_id"]] = (datetime.fromisoformat(e["ts"]) - start).total_seconds() // 86400
for run, scores in (("seeded", seeded), ("cold", f"{out}/cold.jsonl")):
    e = json.load(open(f"{out}/eval-{run}.json"))
    u, m = e["users"], e["monitor"]
    print(f"{name} {run:6s}: user recall {u['user_recall']:.3f}, loan ROC-AUC {m['roc_auc']:.3f}, "
          f"PR-AUC {m['pr_auc']:.3f}, well-behaved users flagged {100 * u['well_behaved_flagged_share']:.1f} %")
    fortnights = Counter()
    with open(scores) as f:
        for line in f:
            if '"entity_alert"' in line:
                d = day[json.loads(line)["event_id"]]
                if d >= 0:
                    fortnights[int(d // 14)] += 1
    print(f"{name} {run:6s}: entity alerts in the window, by fortnight: "
          + ", ".join(f"days {14 * k}-{14 * k + 13}: {fortnights[k]}" for k in range(max(fortnights, default=0) + 1)))
PY
