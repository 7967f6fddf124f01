"""The pure stages of the monitor: plain functions over plain data, no Kafka, no Faust.

One module per stage, in pipeline order:

* ``contract``    - raw bytes -> typed event, or a precise rejection (the input contract v1.1);
* ``admission``   - the verdict on one Kafka message before any state is touched
                    (dead letter, re-key, or admitted), with ``event_time`` (which
                    event times to believe) and ``routing`` (which partition owns a user);
* ``state_layout``, ``features`` - the bounded per-user state and the rolling features;
* ``scoring``     - model score + rules -> a decision with a severity;
* ``rules``       - the named typology rules;
* ``alerts``, ``suppression`` - the alert document, and one alert per episode;
* ``pipeline``    - contract -> features -> scoring -> rules -> alerts for a batch,
                    shared by the worker and every offline command;
* ``drift``, ``dlq`` - feature drift (PSI) and the dead-letter record format.
"""
