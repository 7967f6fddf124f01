"""Where the worker gets its model (``stream.local.model_store``): where models are signed, only a
signed one; elsewhere a default one trained on a simulated history when there is none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stream.local import model_store
from stream.settings import Settings


def _forged(directory: Path) -> None:
    """What anyone who can write the model directory can leave there: a model.json that says it is
    the default model, with a made-up signature, and junk arrays."""
    directory.mkdir()
    (directory / "model.json").write_text(json.dumps({
        "format_version": 1, "meta": {"origin": model_store.DEFAULT_ORIGIN}, "npz_sha256": "0" * 64,
        "body_sha256": "0" * 64, "hmac_sha256": "0" * 64}))
    (directory / "model.npz").write_bytes(b"junk")


def test_where_models_are_signed_a_forged_or_missing_model_stops_the_worker(tmp_path: Path, monkeypatch) -> None:
    """An outside review's case: the forged directory made the worker train a simulated model and
    sign it with the real key.  Now it refuses, and trains nothing."""
    trained: list[Settings] = []
    monkeypatch.setattr(model_store, "train_default", trained.append)
    signed = Settings(model_dir=tmp_path / "model", model_hmac_key="a-real-key-of-the-lender-0123456789")
    _forged(signed.model_dir)
    with pytest.raises(RuntimeError, match="cannot load the model"):
        model_store.ensure_model(signed)
    with pytest.raises(RuntimeError, match="model_hmac_key is set"):
        model_store.ensure_model(signed.replace(model_dir=tmp_path / "empty"))
    assert not trained
    unsigned = Settings(model_dir=signed.model_dir)  # a laptop: the default model is trained again
    model_store.ensure_model(unsigned)
    assert trained == [unsigned]
