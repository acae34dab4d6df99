#!/usr/bin/env bash
# Installs what the diagram checks (tests/it/diagrams.rs) need, on a fresh Debian machine too:
# Node.js and npm and Chromium from Debian when they are missing, then the npm packages pinned
# in package-lock.json (Mermaid, jsdom, marked, Graphviz as WebAssembly). `.ci/run` runs it
# before the tests. A second run with the same lock file installs nothing.
set -euo pipefail
cd "$(dirname "$0")"
started=$SECONDS

missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ! command -v chromium >/dev/null 2>&1 && [ -z "${FLOWFORM_CHROMIUM:-}" ]; then
  missing+=(chromium fonts-dejavu-core)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: ${missing[*]} missing and apt-get is not available" >&2
    echo "hint: install Node.js 20 or later and Chromium (or set FLOWFORM_CHROMIUM to its path)" >&2
    exit 1
  fi
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "installing ${missing[*]} with apt-get"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# `npm ci` always starts from scratch; skip it when node_modules holds this very lock file.
stamp=node_modules/.flowform-lock.sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$wanted" > "$stamp"
fi

chromium_version=$("${FLOWFORM_CHROMIUM:-chromium}" --version 2>/dev/null || echo "unknown")
echo "diagram tools ready in $((SECONDS - started)) s: node $(node --version), ${chromium_version}"
