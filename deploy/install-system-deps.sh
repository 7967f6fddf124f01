#!/usr/bin/env bash
# System packages the tests use: the real `prometheus`/`promtool` (and
# `amtool` from the Alertmanager package) from Debian, Java and Maven for the
# Kafka broker, `openssl` for its TLS listener's certificates.  Installs them only when
# missing; needs root (as on the CI and developer machines) or sudo.
set -euo pipefail
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)  # the embedded broker's TLS certificates
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start their services; the project runs its own instances.
for svc in prometheus prometheus-alertmanager prometheus-node-exporter; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
  $SUDO service "$svc" stop >/dev/null 2>&1 || true
done
