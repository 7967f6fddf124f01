"""Pickle-free model directory: ``model.npz`` (plain arrays) + ``model.json``.

Why not pickle/joblib: loading a pickle runs arbitrary code, and model files
travel between machines. Here arrays load with ``allow_pickle=False`` and
everything else is JSON, so a hostile file can at worst be refused.

``model.json`` layout::

    {"format_version": 1, "meta": {...}, "npz_sha256": "<hex>",
     "body_sha256": "<hex>", "hmac_sha256": "<hex>"  # only when keyed}

``body`` is the canonical JSON of the first three fields. ``body_sha256``
catches accidental corruption or hand edits of either file; it is not a
security control, since anyone can recompute it. Authenticity comes from
the optional HMAC-SHA256 (keyed) over the npz bytes and the body.

Directories are written to a sibling temp dir and renamed into place, so a
watcher sees either the old model, no model (for an instant, when replacing),
or the complete new one, never a half-written or mixed pair. The loader reads
both files through one directory handle for the same reason.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_VERSION = 1
NPZ_NAME = "model.npz"
JSON_NAME = "model.json"
#: Largest file of a model read (a model is tens of MB): read before it is authenticated, a file
#: that grows without end (``/dev/zero``) must not take the worker's memory.
MAX_FILE_BYTES = 1 << 30


class ModelLoadError(Exception):
    """The model directory cannot be trusted or read; the message says why
    and what to do."""


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def _mac(key: str, npz: bytes, body: bytes) -> str:
    # Length-prefix the npz so the (npz, body) split is unambiguous.
    msg = len(npz).to_bytes(8, "big") + npz + body
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def refuse_foreign(target: Path) -> None:
    """ValueError unless ``target`` is free or holds a model only: the save replaces the whole
    directory, and a history, notes or a working directory given as the output would be lost.
    ``riskmon train`` asks before it reads the history, the save again before it writes."""
    target = target.absolute()
    if not target.exists():
        return
    if not target.is_dir():
        raise ValueError(f"model output {target} is a file; give a directory for the model")
    foreign = sorted(p.name for p in target.iterdir() if p.name not in (NPZ_NAME, JSON_NAME))
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ValueError(f"model output {target} holds other files ({shown}), which replacing it with the "
                         "model would delete; give the model a directory of its own")


def save_model(
    dir: str | os.PathLike[str], arrays: dict[str, np.ndarray], meta: dict, hmac_key: str = ""
) -> None:
    """Write ``dir`` atomically, replacing any previous model there."""
    bad = [k for k, a in arrays.items() if np.asarray(a).dtype.hasobject]
    if bad:
        raise ValueError(f"object arrays cannot be saved without pickle: {bad}")
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=False, **{k: np.asarray(a) for k, a in arrays.items()})
    npz = buf.getvalue()
    body = {"format_version": FORMAT_VERSION, "meta": meta, "npz_sha256": hashlib.sha256(npz).hexdigest()}
    doc = {**body, "body_sha256": hashlib.sha256(_canonical(body)).hexdigest()}
    if hmac_key:
        doc["hmac_sha256"] = _mac(hmac_key, npz, _canonical(body))

    target = Path(dir).absolute()
    refuse_foreign(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    old: Path | None = None
    try:
        _fsync_write(tmp / NPZ_NAME, npz)
        _fsync_write(tmp / JSON_NAME, json.dumps(doc, indent=2, sort_keys=True).encode())
        if target.exists():
            # rename() cannot replace a non-empty directory: move the old one aside first.
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / "model")
        try:
            os.replace(tmp, target)
        except OSError:
            if old is not None:
                os.replace(old / "model", target)
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _read_pair(target: Path) -> tuple[bytes, bytes]:
    try:
        dfd = os.open(target, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise ModelLoadError(f"model directory {target} cannot be opened ({exc.strerror}); "
                             "check the path or train and save a model there") from exc
    try:
        out = []
        for name in (JSON_NAME, NPZ_NAME):
            try:  # not through a link: a model reads only its own two files (an outside review, 2026-12-07)
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)  # a fifo must not block
            except OSError as exc:
                raise ModelLoadError(f"{target / name} is missing, unreadable or a link ({exc.strerror}); "
                                     "re-save the model, or retry if it was being replaced") from exc
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fh.fileno())
                if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
                    raise ModelLoadError(f"{target / name} is not a regular file of at most "
                                         f"{MAX_FILE_BYTES >> 20} MiB; re-save the model")
                out.append(fh.read(MAX_FILE_BYTES + 1))
        return out[0], out[1]
    finally:
        os.close(dfd)


def _parse_doc(raw: bytes, where: Path) -> dict:
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{where} is not valid JSON ({exc}); re-save the model") from exc
    if not isinstance(doc, dict):
        raise ModelLoadError(f"{where} must hold a JSON object; re-save the model")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelLoadError(f"{where} has format_version {version!r}, this code reads {FORMAT_VERSION}; "
                             "re-export the model with a matching version of loan-risk-monitor")
    for field in ("meta", "npz_sha256", "body_sha256"):
        if field not in doc:
            raise ModelLoadError(f"{where} lacks {field!r}; re-save the model")
    if not isinstance(doc["meta"], dict):
        raise ModelLoadError(f"{where}: 'meta' must be a JSON object; re-save the model")
    return doc


def load_model(dir: str | os.PathLike[str], hmac_key: str = "") -> tuple[dict[str, np.ndarray], dict]:
    """Verify and load a model directory; raises ``ModelLoadError`` on any doubt."""
    target = Path(dir)
    raw_json, npz = _read_pair(target)
    doc = _parse_doc(raw_json, target / JSON_NAME)
    body = _canonical({k: doc[k] for k in ("format_version", "meta", "npz_sha256")})
    tamper = "the files were modified or corrupted after saving; restore or re-save the model"
    if not hmac.compare_digest(hashlib.sha256(body).hexdigest(), str(doc["body_sha256"])):
        raise ModelLoadError(f"{target / JSON_NAME} checksum mismatch: {tamper}")
    if not hmac.compare_digest(hashlib.sha256(npz).hexdigest(), str(doc["npz_sha256"])):
        raise ModelLoadError(f"{target / NPZ_NAME} checksum mismatch: {tamper}")
    signed = "hmac_sha256" in doc
    if signed and not hmac_key:
        raise ModelLoadError(f"{target} is HMAC-signed but no key was given; "
                             "provide the model signing key to verify it")
    if hmac_key and not signed:
        raise ModelLoadError(f"{target} is not HMAC-signed but a key was given; refusing an "
                             "unauthenticated model - re-save it with the signing key")
    if signed and not hmac.compare_digest(_mac(hmac_key, npz, body), str(doc["hmac_sha256"])):
        raise ModelLoadError(f"{target} HMAC mismatch: wrong key, or the model was tampered with; "
                             "check the key or re-save the model with it")
    unsafe = f"{target / NPZ_NAME} cannot be loaded safely"
    if not zipfile.is_zipfile(io.BytesIO(npz)):
        # np.load would otherwise accept a bare .npy (or refuse a pickle) here.
        raise ModelLoadError(f"{unsafe}: not an npz archive; re-save the model")
    try:
        with np.load(io.BytesIO(npz), allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        # numpy raises ValueError for object (pickled) arrays under allow_pickle=False.
        raise ModelLoadError(f"{unsafe} ({exc}); re-save the model with plain numeric arrays") from exc
    return arrays, doc["meta"]
