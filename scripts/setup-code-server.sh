#!/usr/bin/env bash
# Installs the browser build of VS Code used by the tests: code-server 4.100.3
# (VS Code 1.100.3, the last line that runs on Node 20) into .vscode-test/code-server/.
# Its own postinstall downloads from the network, which this machine kind cannot reach,
# so the native modules are rebuilt from source and ripgrep comes from Debian.
# Idempotent: a marker file skips everything once it has succeeded.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.100.3
ROOT="$PWD/.vscode-test/code-server"
MARKER="$ROOT/.ready-$VERSION"
[ -f "$MARKER" ] && { echo "code-server $VERSION ready in $ROOT"; exit 0; }

missing=()
command -v rg >/dev/null || missing+=(ripgrep)
command -v chromium >/dev/null || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "Missing Debian packages for the in-VS-Code tests: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

echo "Installing code-server $VERSION into $ROOT (one time, a few minutes)…"
rm -rf "$ROOT" && mkdir -p "$ROOT"
cd "$ROOT"
echo '{"name":"code-server-cache","private":true}' > package.json
npm install --no-audit --no-fund --loglevel=error --ignore-scripts "code-server@$VERSION"
npm rebuild argon2 --build-from-source --loglevel=error

VS="$ROOT/node_modules/code-server/lib/vscode"
cd "$VS"
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
npm_config_yes=true npm rebuild kerberos @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog node-pty --loglevel=error
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)

touch "$MARKER"
echo "code-server $VERSION ready in $ROOT"
