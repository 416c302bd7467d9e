#!/usr/bin/env bash
# Run a tool of this folder, with --launcher pytorch among its arguments, as GPUS processes per node
# through torchrun: NCCL on GPUs, gloo on CPU-only machines (used by dist_train.sh, dist_test.sh).
#   bash tools/dist_run.sh GPUS TOOL.py [tool arguments]
# Several nodes: NNODES, NODE_RANK, MASTER_ADDR and PORT as below, the same on every node.
# MAX_RESTARTS=N: torchrun restarts the workers up to N times when one fails; tools/train.py then
# resumes from the newest checkpoint by itself (docs/reliability.md).
set -euo pipefail

GPUS=$1
TOOL=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}
MAX_RESTARTS=${MAX_RESTARTS:-0}

PYTHONPATH="$(dirname "$0")/..":${PYTHONPATH:-} \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --master_port="$PORT" \
    --nproc_per_node="$GPUS" \
    --max-restarts="$MAX_RESTARTS" \
    "$(dirname "$0")/$TOOL" "${@:3}"
