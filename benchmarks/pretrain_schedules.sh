#!/usr/bin/env bash
# The toy pretraining's val top-1 against its learning rate and length, over
# seeds (docs/benchmark.md, "The pretraining's schedule"). Chosen on the
# ImageNet stand-in's own val split, never on the toy VOC set.
#   bash benchmarks/pretrain_schedules.sh WORK [LR:EPOCHS ...]
# Default schedules: 0.2:16 (the config's), 0.05:16, 0.05:32; seeds from
# SEEDS (default "0 1 2"), seed-major so a stopped sweep has whole seeds.
# Resumable: a finished (schedule, seed) keeps its result line in
# WORK/results.txt and is skipped.
set -euo pipefail
work=${1:?usage: pretrain_schedules.sh WORK [LR:EPOCHS ...]}; shift
schedules=${*:-0.2:16 0.05:16 0.05:32}
py=${PY:-.venv/bin/python}
cfg=${CFG:-configs/pretrain/resnet18-narrow_toy-imagenet.py}
data=${DATA:-data/toy_imagenet}
mkdir -p "$work"; touch "$work/results.txt"
for seed in ${SEEDS:-0 1 2}; do
  for s in $schedules; do
    lr=${s%%:*}; ep=${s##*:}; key="lr$lr-ep$ep-seed$seed"
    grep -q "^$key " "$work/results.txt" && continue
    out="$work/$key"; start=$(date +%s)
    # `epochs` is read when the config is parsed: set what it feeds
    "$py" tools/train.py "$cfg" --work-dir "$out" --cfg-options \
      randomness.seed="$seed" optim_wrapper.optimizer.lr="$lr" \
      train_cfg.max_epochs="$ep" param_scheduler.1.T_max=$((ep - 1)) \
      param_scheduler.1.end="$ep" default_hooks.checkpoint.interval="$ep" \
      train_dataloader.dataset.data_root="$data" \
      val_dataloader.dataset.data_root="$data" \
      test_dataloader.dataset.data_root="$data" \
      >"$out.log" 2>&1 || { echo "failed: $out (see $out.log)"; exit 1; }
    # every val line (epoch, top-1), and the last logged training loss
    vals=$(grep -oE 'Epoch\(val\) +\[[0-9]+\].*accuracy/top1: [0-9.]+' "$out.log" |
      sed -E 's/Epoch\(val\) +\[([0-9]+)\].*top1: ([0-9.]+)/\1:\2/' | tr '\n' ' ')
    loss=$(grep -oE 'Epoch\(train\).* loss: [0-9.]+' "$out.log" | tail -1 |
      sed -E 's/.* loss: //')
    [ -n "$vals" ] || { echo "no val accuracy in $out.log"; exit 1; }
    echo "$key top1_by_epoch $vals last_train_loss $loss time_s $(( $(date +%s) - start ))" |
      tee -a "$work/results.txt"
  done
done
