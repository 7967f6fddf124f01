"""Operator commands that change a running deployment's topics and state (``riskmon rescale``).

They talk to Kafka through ``stream.kafka`` and take every decision from ``stream.core``;
the workers are stopped while they run.
"""
