"""The file commands, on the same ``stream.core`` path as the worker: JSONL reading and
writing (``jsonl``), ``riskmon score`` (``score``) and ``riskmon simulate`` (``simulate``)."""
