"""The model directory loads only what was saved, never via pickle, and
every refusal explains itself."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from models import artifact
from models.artifact import ModelLoadError, load_model, save_model

ARRAYS = {"a": np.arange(6, dtype=np.int64).reshape(2, 3), "b": np.linspace(0, 1, 5), "s": np.array(3.5)}
META = {"features": ["amount", "income"], "trained_at": "2024-01-01T00:00:00Z", "n": 3}


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    save_model(tmp_path / "m", ARRAYS, META)
    return tmp_path / "m"


def _assert_same(arrays: dict[str, np.ndarray]) -> None:
    assert arrays.keys() == ARRAYS.keys()
    for k, v in ARRAYS.items():
        np.testing.assert_array_equal(arrays[k], v)
        assert arrays[k].dtype == v.dtype


def test_round_trip(model_dir: Path) -> None:
    arrays, meta = load_model(model_dir)
    _assert_same(arrays)
    assert meta == META
    assert json.loads((model_dir / "model.json").read_text())["format_version"] == artifact.FORMAT_VERSION


def test_save_replaces_existing_model_and_leaves_no_temp_dirs(model_dir: Path) -> None:
    save_model(model_dir, {"x": np.ones(2)}, {"v": 2})
    arrays, meta = load_model(model_dir)
    assert list(arrays) == ["x"] and meta == {"v": 2}
    assert sorted(p.name for p in model_dir.parent.iterdir()) == ["m"]


def test_a_directory_holding_anything_but_a_model_is_not_replaced(tmp_path: Path) -> None:
    """An outside review's case: ``train --input work/history.jsonl --output work`` used to empty
    ``work``, its history included.  Now the save refuses and leaves it as it was; a file as
    the output is refused too."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "history.jsonl").write_text("{}\n")
    (work / "model.json").write_text("{}")
    with pytest.raises(ValueError, match=r"holds other files \(history.jsonl\).*directory of its own"):
        save_model(work, ARRAYS, META)
    assert sorted(p.name for p in work.iterdir()) == ["history.jsonl", "model.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]  # no temp dir left behind
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        save_model(tmp_path / "notes.txt", ARRAYS, META)
    assert (tmp_path / "notes.txt").read_text() == "x"


def test_round_trip_compiled_forest(tmp_path: Path) -> None:
    from sklearn.ensemble import IsolationForest

    from models.forest import CompiledForest

    X = np.random.default_rng(0).normal(size=(300, 4))
    forest = CompiledForest.from_sklearn(IsolationForest(n_estimators=5, random_state=0).fit(X))
    save_model(tmp_path / "f", forest.to_arrays(), {}, hmac_key="k")
    again = CompiledForest.from_arrays(load_model(tmp_path / "f", hmac_key="k")[0])
    np.testing.assert_array_equal(again.score_samples(X), forest.score_samples(X))


def test_flipped_byte_in_npz_is_refused(model_dir: Path) -> None:
    path = model_dir / "model.npz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelLoadError, match="model.npz checksum mismatch"):
        load_model(model_dir)


def test_edited_json_meta_is_refused(model_dir: Path) -> None:
    path = model_dir / "model.json"
    doc = json.loads(path.read_text())
    doc["meta"]["n"] = 4
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelLoadError, match="model.json checksum mismatch"):
        load_model(model_dir)


@pytest.mark.parametrize("content, match", [("{not json", "not valid JSON"), ("[1]", "JSON object")])
def test_bad_json_is_refused(model_dir: Path, content: str, match: str) -> None:
    (model_dir / "model.json").write_text(content)
    with pytest.raises(ModelLoadError, match=match):
        load_model(model_dir)


def test_unknown_format_version_is_refused(model_dir: Path) -> None:
    path = model_dir / "model.json"
    doc = json.loads(path.read_text())
    doc["format_version"] = 99
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelLoadError, match="format_version 99"):
        load_model(model_dir)


@pytest.mark.parametrize("name", ["model.npz", "model.json"])
def test_missing_file_is_refused(model_dir: Path, name: str) -> None:
    (model_dir / name).unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        load_model(model_dir)


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="cannot be opened"):
        load_model(tmp_path / "nope")


def test_hmac_round_trip(tmp_path: Path) -> None:
    save_model(tmp_path / "m", ARRAYS, META, hmac_key="secret")
    arrays, meta = load_model(tmp_path / "m", hmac_key="secret")
    _assert_same(arrays)
    assert meta == META


def test_hmac_present_but_no_key_is_refused(tmp_path: Path) -> None:
    save_model(tmp_path / "m", ARRAYS, META, hmac_key="secret")
    with pytest.raises(ModelLoadError, match="no key was given"):
        load_model(tmp_path / "m")


def test_key_given_but_no_hmac_is_refused(model_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="not HMAC-signed"):
        load_model(model_dir, hmac_key="secret")


def test_wrong_hmac_key_is_refused(tmp_path: Path) -> None:
    save_model(tmp_path / "m", ARRAYS, META, hmac_key="secret")
    with pytest.raises(ModelLoadError, match="HMAC mismatch"):
        load_model(tmp_path / "m", hmac_key="other")


def _rewrite_consistently(model_dir: Path, npz: bytes) -> None:
    """Swap in new npz bytes with checksums an attacker could recompute."""
    doc = json.loads((model_dir / "model.json").read_text())
    body = {
        "format_version": doc["format_version"],
        "meta": doc["meta"],
        "npz_sha256": hashlib.sha256(npz).hexdigest(),
    }
    doc.update(body, body_sha256=hashlib.sha256(artifact._canonical(body)).hexdigest())
    (model_dir / "model.npz").write_bytes(npz)
    (model_dir / "model.json").write_text(json.dumps(doc))


def test_resigned_tampering_fails_hmac(tmp_path: Path) -> None:
    save_model(tmp_path / "m", ARRAYS, META, hmac_key="secret")
    buf = io.BytesIO()
    np.savez(buf, a=np.zeros(3))
    _rewrite_consistently(tmp_path / "m", buf.getvalue())
    with pytest.raises(ModelLoadError, match="HMAC mismatch"):
        load_model(tmp_path / "m", hmac_key="secret")


def test_object_array_npz_is_refused(model_dir: Path) -> None:
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=True, evil=np.array([{"x": 1}], dtype=object))
    _rewrite_consistently(model_dir, buf.getvalue())
    with pytest.raises(ModelLoadError, match="cannot be loaded safely"):
        load_model(model_dir)


def test_bare_npy_is_refused(model_dir: Path) -> None:
    buf = io.BytesIO()
    np.save(buf, np.zeros(3))
    _rewrite_consistently(model_dir, buf.getvalue())
    with pytest.raises(ModelLoadError, match="not an npz archive"):
        load_model(model_dir)


def test_object_arrays_are_not_saved(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="object arrays"):
        save_model(tmp_path / "m", {"o": np.array([None], dtype=object)}, {})
    assert not (tmp_path / "m").exists()


def test_loading_never_unpickles(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pickle used while loading a model")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    arrays, _ = load_model(model_dir)
    _assert_same(arrays)


def test_a_model_file_that_is_a_link_or_no_regular_file_is_refused(model_dir: Path, tmp_path: Path) -> None:
    """An outside review's cases: ``model.json`` linked to a file outside the directory was read, and
    ``model.npz`` linked to ``/dev/zero`` ran the loader out of memory before any signature check."""
    outside = tmp_path / "outside.json"
    outside.write_bytes((model_dir / "model.json").read_bytes())
    (model_dir / "model.json").unlink()
    (model_dir / "model.json").symlink_to(outside)
    with pytest.raises(ModelLoadError, match="a link"):
        load_model(model_dir)
    (model_dir / "model.json").unlink()
    (model_dir / "model.json").write_bytes(outside.read_bytes())
    (model_dir / "model.npz").unlink()
    os.mkfifo(model_dir / "model.npz")  # no regular file: refused without reading (a fifo would block)
    with pytest.raises(ModelLoadError, match="not a regular file"):
        load_model(model_dir)
