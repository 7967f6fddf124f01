"""``riskmon worker``: load the model, serve metrics, run the Faust worker until stopped."""

from __future__ import annotations

import logging

import faust
from prometheus_client import start_http_server

from stream.app import create_app
from stream.model_store import ensure_model
from stream.rules import RuleConfig
from stream.settings import Settings

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> int:
    model = ensure_model(settings)
    rules = RuleConfig.from_file(settings.rules_file or None)
    start_http_server(settings.metrics_port, addr="0.0.0.0")
    worker = create_app(settings, model, rules)
    log.info("worker starting: model %s, metrics on :%d", model.version, settings.metrics_port)
    faust.Worker(worker.app, loglevel=settings.log_level, quiet=True).execute_from_commandline()
    return 0
