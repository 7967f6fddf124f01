"""This machine: the embedded single-node Kafka broker (``broker``), the ``riskmon run``
demo (``demo``) and the demo's first model, trained on a simulated history (``model_store``)."""
