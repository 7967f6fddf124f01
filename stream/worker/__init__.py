"""The Faust worker: a thin wiring layer around ``stream.core``.

* ``app``             - topics, the state tables, the input feed, the entity agents and timers (``create_app``);
* ``input_feed``      - the input topic's messages taken from Faust's consumer in batches, with a stream's guarantees;
* ``batch``           - the batch protocol, i.e. the delivery guarantee (no Faust; unit-tested with fakes);
* ``state_table``     - the changelog-backed state table, written durably in batches;
* ``faust_fixes``     - every work-around of Faust/aiokafka bugs; all private access to them lives here;
* ``health``, ``consumer_report`` - ``/ready``, ``/healthy``, the stall watchdog and its report;
* ``metrics``         - the Prometheus series (never a user id in a label);
* ``model_watch``     - picks up a new model without a restart;
* ``main``            - ``riskmon worker``.
"""
