# syntax=docker/dockerfile:1
# Image for the loan-risk-monitor worker (and its one-shot commands:
# `riskmon topics`, `riskmon simulate --kafka`, `riskmon train`).
#
#   docker build -t loan-risk-monitor .
#   docker run --rm -e RISKMON_BROKER=kafka:9092 loan-risk-monitor            # worker
#   docker run --rm loan-risk-monitor config                                  # settings in force

# ---- build: turn the project and its dependencies into wheels --------------
# A separate stage so the source tree, pip's cache and any build tooling stay
# out of the runtime image.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Metadata first: the dependency layer is rebuilt only when pyproject changes.
# A C compiler for the forests' walk in C (models/_tree_walk.pyx, setup.py);
# only this stage has it, the runtime image gets the built wheel.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml setup.py README.md constraints.txt ./
COPY stream ./stream
COPY models ./models
# The rocksdb extra lets the same image run with RISKMON_TABLE_STORE=rocksdb://
# (the Kubernetes StatefulSet does).
# The versions the test suite passed with (constraints.txt), not the newest a registry serves.
RUN pip wheel --wheel-dir /wheels -c constraints.txt ".[rocksdb]"

# ---- runtime ----------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Installed into site-packages, the settings' repo-relative defaults would
# point inside the Python tree; keep state under /data instead. The model is a
# subdirectory of a mount (not the mount point itself) because a model is
# saved by renaming a freshly written directory into place.
ENV RISKMON_DATA_DIR=/data/state \
    RISKMON_MODEL_DIR=/data/models/default

RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels "loan-risk-monitor[rocksdb]"

# Fixed numeric uid/gid so Kubernetes securityContext (runAsUser/fsGroup) and
# volume ownership line up. The directories exist, non-empty, in the image so
# Docker copies them (with this ownership) into a fresh named volume mounted
# there; otherwise the volume would be root-owned and unwritable.
RUN groupadd --system --gid 10001 riskmon \
    && useradd --system --uid 10001 --gid riskmon --home-dir /data --shell /usr/sbin/nologin riskmon \
    && mkdir -p /data/state /data/models \
    && touch /data/state/.keep /data/models/.keep \
    && chown -R riskmon:riskmon /data
USER 10001:10001
WORKDIR /data

# Prometheus /metrics (and, on Kubernetes, the /ready and /healthy probes).
EXPOSE 9308

# Liveness for plain Docker / compose: the metrics endpoint answers. The first
# start trains a default model before the endpoint comes up, hence the long
# start period. python:slim has no curl, so use the interpreter.
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/metrics' % os.environ.get('RISKMON_METRICS_PORT', '9308'), timeout=4)"]

ENTRYPOINT ["riskmon"]
CMD ["worker"]
