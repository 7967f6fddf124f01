"""The Faust worker: a thin wiring layer around ``stream.core``.

* ``app``             - topics, the state table, the agent and timers (``create_app``);
* ``batch``           - the batch protocol, i.e. the delivery guarantee (no Faust; unit-tested with fakes);
* ``state_table``     - the changelog-backed state table, written durably in batches;
* ``faust_fixes``     - every work-around of Faust/aiokafka bugs; all private access to them lives here;
* ``health``, ``consumer_report`` - ``/ready``, ``/healthy``, the stall watchdog and its report;
* ``metrics``         - the Prometheus series (never a user id in a label);
* ``model_watch``     - picks up a new model without a restart;
* ``main``            - ``riskmon worker``.
"""
