#!/usr/bin/env bash
# The browser test: builds web/pkg (web/build.sh), serves the repository on 127.0.0.1, and runs
# web/test/index.html in headless Chromium with WebGPU on SwiftShader; every case's outputs are
# compared with TensorFlow's. Exits non-zero, naming the case, when one fails.
# Needs: chromium (Debian's package), node + npm, and what web/build.sh needs. --no-build skips
# the build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--no-build" ]; then
    web/build.sh
fi
(cd web/test && npm ci --no-audit --no-fund --silent)
# Every fixture case of the native suite runs in the browser too.
ls tests/fixtures/cases | python3 -c 'import json, sys; print(json.dumps([l.strip() for l in sys.stdin if l.strip()]))' > web/test/fixtures.json
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory . > /tmp/wgtf-web-test-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/web/test/index.html", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
PY
node web/test/run.mjs "http://127.0.0.1:$port/web/test/index.html" "${WGTF_WEB_TEST_TIMEOUT:-900}"
# The demo page: the bundled model on the bundled photo.
node web/test/run.mjs "http://127.0.0.1:$port/web/demo/?test" 300
