"""Where the worker gets its model: the model directory, or a default one trained
on a simulated history the first time none exists (so a new user's first
``riskmon run`` or ``riskmon worker`` just works)."""

from __future__ import annotations

import json
import logging

from models.calibrate import Calibration
from models.model import RiskModel, load, sanity_check, save
from stream.settings import Settings

log = logging.getLogger(__name__)

#: Size of the default training history: big enough for stable thresholds and
#: for enough loans to mature into outcomes for an overdue early warning (45
#: days gave a handful of bad outcomes, 60 several hundred), small enough to train in well under
#: a minute on two cores.
DEFAULT_HISTORY_USERS = 3000
DEFAULT_HISTORY_DAYS = 60
DEFAULT_ORIGIN = "default-simulated"  # marks a model this module trained (safe to replace)


def model_exists(settings: Settings) -> bool:
    return (settings.model_dir / "model.json").exists()


def train_default(settings: Settings) -> RiskModel:
    """Train on a simulated history (unlabelled use: the labels are not looked at)."""
    from models.train import train, training_options  # scikit-learn: imported only when a model is trained
    from stream.core.contract import parse_document
    from stream.sim.config import SimConfig
    from stream.sim.generate import generate

    events, _labels = generate(
        SimConfig(users=DEFAULT_HISTORY_USERS, days=DEFAULT_HISTORY_DAYS, seed=settings.seed, user_prefix="hist")
    )
    model = train((parse_document(e) for e in events), **training_options(settings))
    model.meta["origin"] = DEFAULT_ORIGIN
    calibration = Calibration.from_meta(model.meta)
    for problem in calibration.over_budget() if calibration else []:
        log.warning("default model: %s", problem)
    save(model, settings.model_dir, hmac_key=settings.model_hmac_key)
    log.warning("no model in %s: trained default model %s on a simulated history", settings.model_dir, model.version)
    return model


def ensure_model(settings: Settings) -> RiskModel:
    """Load the model, training the default one if the directory has none.

    Not where models are signed (``model_hmac_key`` set): a deployment that signs its models scores
    with signed ones only, so a missing model, or one that fails to load, stops the worker instead;
    trained and signed here, a simulated model would pass for the lender's (an outside review got
    one signed with the real key from a forged ``model.json`` saying it was the default)."""
    if not model_exists(settings):
        if settings.model_hmac_key:
            raise RuntimeError(f"no model in {settings.model_dir}: model_hmac_key is set, so the worker scores "
                               "only with a model signed by it; train one with `riskmon train --input "
                               "HISTORY.jsonl --output DIR` and the same key")
        return train_default(settings)
    try:
        model = load(settings.model_dir, hmac_key=settings.model_hmac_key)
        sanity_check(model)
        return model
    except Exception as exc:  # noqa: BLE001 - whatever a damaged artefact raises, the answer is the same
        if _is_default(settings) and not settings.model_hmac_key:
            log.warning("the default model in %s does not fit this version (%s): training it again", settings.model_dir, exc)
            return train_default(settings)
        raise RuntimeError(
            f"cannot load the model in {settings.model_dir}: {exc}. "
            "Retrain it with `riskmon train --input HISTORY.jsonl --output DIR`, or remove the directory "
            "to get the default model."
        ) from exc


def _is_default(settings: Settings) -> bool:
    """Whether the model directory holds a default model (ours to replace), read without trusting it."""
    try:
        doc = json.loads((settings.model_dir / "model.json").read_text())
    except (OSError, ValueError):
        return False
    meta = doc.get("meta", {}) if isinstance(doc, dict) else {}
    return isinstance(meta, dict) and meta.get("origin") == DEFAULT_ORIGIN
