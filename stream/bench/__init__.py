"""``riskmon bench``: how fast the monitor is, measured against its own ceilings.

Why a package of small modules: each measurement (references, monitor
throughput, latency, scorer, state size) has its own set-up and its own
honesty caveats, and each is documented where it is measured.  ``main``
only sequences them and guarantees clean-up (broker, child processes,
topics), ``report`` only formats.

Layout:

* ``options``     - what to run (sizes, rates) and the ``--smoke`` preset;
* ``cluster``     - the broker to use (private on free ports, or reused) and topics;
* ``procs``       - child processes that die with us and are always stopped;
* ``offsets``     - committed/end offsets and the throughput clock built on them;
* ``data``        - the simulated events (bench stream + separate training history);
* ``passthrough`` - child: plain aiokafka consume -> produce (Python's ceiling);
* ``faust_ref``   - child: bare Faust agent decode + forward (the framework's ceiling), or consume only as the worker does;
* ``references``  - runs both references against the pre-loaded topic;
* ``monitor``     - runs ``riskmon worker`` against the same topic;
* ``latency``     - fixed-rate produce, produce -> processed latency;
* ``scorer``      - compiled forest vs scikit-learn, same fitted model;
* ``state``       - bytes of per-user state, from the struct and the changelog;
* ``restart``     - a worker's time to ready with N users' states (memory, RocksDB);
  ``restart_states`` its pure part, ``changelog_io`` its Kafka reads and writes;
* ``report``      - human table + one JSON line.
"""
