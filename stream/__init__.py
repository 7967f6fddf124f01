"""loan-risk-monitor: a streaming risk monitor for loan and repayment events.

The tree follows the pipeline and who may depend on whom (``tests/test_layering.py``
reads the imports and enforces it):

* ``core``     - the pure stages, no Kafka and no Faust: contract -> admission ->
                 features -> scoring -> rules -> alerts (+ suppression, drift, DLQ
                 records); ``core.pipeline`` is the per-event path every command shares.
                 Depends on nothing of ours.
* ``models``   - (top level) the isolation forest, its training (with the rules
                 calibrated on the history), artefact and evaluation; depends on
                 ``stream.core`` only.
* ``worker``   - the Faust wiring around ``core``: the app, the batch protocol, the
                 state table, health, metrics, model reloads, ``riskmon worker``.
* ``kafka``    - what any cluster needs: client configuration, topics, a producer.
* ``local``    - this machine: the embedded broker, the ``riskmon run`` demo, the
                 demo's first model.
* ``offline``  - the file commands: JSONL, ``riskmon score`` and ``simulate``.
* ``sim``, ``worlds`` - the project's simulator and the held-out worlds it is judged on.
* ``bench``    - ``riskmon bench``.
* ``settings``, ``cli``, ``logs`` - one typed settings object, argument parsing, logging.
"""
