#!/usr/bin/env bash
# CAM mIoU on `train` and CAM time against the inference scales, for the CAM
# checkpoints of a `run_pipeline.py --seeds` work dir (docs/benchmark.md).
#   bash benchmarks/sweep_cam_scales.sh WORK [PIPELINE...]
# Resumable: a finished (pipeline, seed, scales) keeps its metrics file.
set -euo pipefail
work=${1:?usage: sweep_cam_scales.sh WORK [PIPELINE...]}; shift
pipelines=${*:-baseline_toy comnet_toy}
py=${PY:-.venv/bin/python}
for p in $pipelines; do
  for s in "$work/$p"/seed*; do
    ckpt=$(cat "$s/cam/last_checkpoint")
    for scales in ${SCALES:-"1.0,0.5,1.5" "1.0,0.5" "1.0"}; do
      out="$work/scales/$p/$(basename "$s")/${scales//,/_}"
      [ -f "$out/cams_metrics.json" ] && continue
      mkdir -p "$(dirname "$out")"; start=$(date +%s)
      "$py" tools/make_cams.py "$s/cam/config.py" "$ckpt" --work-dir "$out" \
        --cfg-options "cam_cfg.scales=($scales,)" >"$out.log" 2>&1 || {
          echo "failed: $out (see $out.log)"; exit 1; }
      echo "$p $(basename "$s") $scales $(( $(date +%s) - start ))s $(cat "$out/cams_metrics.json")"
    done
  done
done
