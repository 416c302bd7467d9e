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

if [ "$MAX_RESTARTS" -gt 0 ]; then
    # Restarts need torchrun's c10d rendezvous, which begins a fresh round (and store) for each; ranks
    # then follow the order in which the nodes join, so NODE_RANK is not used.
    RENDEZVOUS=(--rdzv-backend=c10d --rdzv-endpoint="$MASTER_ADDR:$PORT" --rdzv-id="${RDZV_ID:-loki_video}")
else
    RENDEZVOUS=(--node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" --master_port="$PORT")
fi

PYTHONPATH="$(dirname "$0")/..":${PYTHONPATH:-} \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    "${RENDEZVOUS[@]}" \
    --nproc_per_node="$GPUS" \
    --max-restarts="$MAX_RESTARTS" \
    "$(dirname "$0")/$TOOL" "${@:3}"
