"""The file commands, on the same ``stream.core`` path as the worker: JSONL reading and
writing (``jsonl``), ``riskmon train`` (``train``), ``riskmon score`` (``score``) and
``riskmon simulate`` (``simulate``)."""
