"""``riskmon worker``: serve metrics and run the Faust worker with a model until stopped."""

from __future__ import annotations

import gc
import logging

import faust

from models.model import RiskModel
from stream.worker.app import create_app
from stream.worker.health import serve
from stream.logs import logging_dict
from stream.settings import Settings

log = logging.getLogger(__name__)


def run_worker(settings: Settings, model: RiskModel) -> int:
    rules = settings.rule_config()
    worker = create_app(settings, model, rules)
    serve(worker.health, settings.metrics_port)
    log.info("worker starting: model %s, metrics on :%d", model.version, settings.metrics_port)
    runner = faust.Worker(
        worker.app, loglevel=settings.log_level, quiet=True, logging_config=logging_dict(settings.log_level)
    )
    # Faust's terminal spinner sets the root logger to DEBUG (at WARNING and
    # above), so every debug call in Faust and aiokafka builds a record to throw
    # away; a worker has no terminal to spin on anyway.
    runner.spinner = None
    # Everything built so far (imports, model, Faust app) lives as long as the
    # process: keep it out of the garbage collector's full passes, which pause
    # the event loop for as long as they take to scan the heap.
    gc.freeze()
    runner.execute_from_commandline()
    return 0
