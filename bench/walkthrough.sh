#!/usr/bin/env bash
# The README's curl walkthrough against a real service (python -m app.serve), timed:
# upload tests/data/openmoji100.zip, fine-tune emoji64-gan for STEPS steps, fetch images.
#   bash bench/walkthrough.sh            # STEPS=200 PORT=8765 by default; uses a fresh DATA_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-200}
PORT=${PORT:-8765}
API=http://127.0.0.1:$PORT
export DATA_DIR=${DATA_DIR:-$(mktemp -d /tmp/transfergen-walkthrough.XXXX)}
export PORT
OUT=${OUT:-bench/out/walkthrough}
mkdir -p "$OUT"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

.venv/bin/python -m app.serve >"$OUT/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null; wait $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -sf $API/readyz >/dev/null && break; sleep 0.5; done

DATASET=$(curl -sf -F file=@tests/data/openmoji100.zip -F name=openmoji $API/v1/datasets | json '["id"]')
echo "dataset $DATASET: $(curl -sf $API/v1/datasets/$DATASET | json '["num_train"]') train images"
START=$(date +%s.%N)
JOB=$(curl -sf -H 'content-type: application/json' \
      -d "{\"dataset_id\": \"$DATASET\", \"base_model_id\": \"emoji64-gan\", \"steps\": $STEPS}" $API/v1/jobs | json '["id"]')
while true; do
    STATUS=$(curl -sf $API/v1/jobs/$JOB | json '["status"]')
    case $STATUS in succeeded|failed|canceled) break ;; esac
    sleep 1
done
END=$(date +%s.%N)
curl -sf $API/v1/jobs/$JOB > "$OUT/job.json"
echo "job $JOB: $STATUS in $(python3 -c "print(round($END - $START, 1))") s (submit to succeeded, $STEPS steps, batch 32)"
MODEL=$(json '["model_id"]' < "$OUT/job.json")
curl -sf -o "$OUT/42.png" $API/v1/models/$MODEL/images/42.png
curl -sf -o "$OUT/42-again.png" $API/v1/models/$MODEL/images/42.png
cmp -s "$OUT/42.png" "$OUT/42-again.png" && echo "seed 42 twice: identical bytes"
curl -sf -o "$OUT/grid.png" "$API/v1/models/$MODEL/grid.png?start=0&count=16&columns=4"
curl -sf -o "$OUT/base-grid.png" "$API/v1/models/emoji64-gan/grid.png?start=0&count=16&columns=4"
echo "wrote $OUT/grid.png (fine-tuned) and $OUT/base-grid.png (base), same seeds"
