# LoRA of rank 4 (alpha 4, dropout 0.2) on W_q, W_k, W_v and W_o of every block, and the head.
backbone_tuning = dict(lora=dict(rank=4, alpha=4, dropout=0.2), trainable=('lora',))
