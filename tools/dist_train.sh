#!/usr/bin/env bash
# Train with GPUS processes per node through torchrun; GPU nodes use NCCL, CPU-only machines gloo.
#   bash tools/dist_train.sh CONFIG GPUS [train.py options]
# Several nodes: NNODES, NODE_RANK, MASTER_ADDR and PORT; restarts of failed workers: MAX_RESTARTS=N
# (see dist_run.sh).
set -euo pipefail
exec bash "$(dirname "$0")/dist_run.sh" "$2" train.py "$1" --launcher pytorch "${@:3}"
