# Prompt tuning (shallow VPT): 200 learnable tokens after the class token, and the head.
backbone_tuning = dict(num_prompts=200, trainable=('prompt',))
