#!/usr/bin/env bash
# The browser test (`make browser`, part of `make test`): starts two stacks
# with tools/stack on free ports in temp DATA_DIRs (the second with links
# that live one second, for the "expired" page), runs tests/browser/e2e.js
# in Debian's Chromium headless shell through playwright-core, stops the
# stacks. Screenshots go to $BUILD/screenshots/. Needs
# chromium-headless-shell, nodejs and npm. The headless shell is the same
# Chromium without the desktop browser around it: the whole test took 33 s
# of processor time with it, 77 s with /usr/bin/chromium (its new headless
# mode; the browser's own share 22 s against 54 s). CHROMIUM names another
# build; BROWSER_JOBS how many scenarios run at a time (4), BROWSER_ONLY (a
# regular expression) which ones.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
export BUILD=$build

fail() { echo "browser: $*" >&2; echo "browser: 0 scenarios passed, 1 failed"; exit 1; }

chromium=${CHROMIUM:-/usr/bin/chromium-headless-shell}
[ -x "$chromium" ] || fail "$chromium is missing (apt-get install chromium-headless-shell)"
[ -x "$build/regctl" ] || fail "$build/regctl is missing: run make service first"
command -v node >/dev/null || fail "node is missing (apt-get install nodejs)"
command -v npm >/dev/null || fail "npm is missing (apt-get install npm)"

# playwright-core at the version package-lock.json pins; installed again
# only when the lock file changed. It drives the system Chromium: nothing
# downloads a browser.
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.installed-lock.json" 2>/dev/null; then
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
    || fail "npm ci failed in $here"
  cp "$here/package-lock.json" "$here/node_modules/.installed-lock.json"
fi

tmp=$(mktemp -d)
# tools/stack started as root runs as STACK_USER, who must reach its DATA_DIR.
chmod 0711 "$tmp"
pids=()
stop_stacks() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_stacks
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free 127.0.0.1 port below the kernel's ephemeral range (32768 and up),
# so that no bind to port 0 (the stacks' SMTP sinks, anything else running
# at the same time) can take it between this choice and nginx's bind.
free_port() {
  node -e 'const net = require("net");
    const tryPort = () => {
      const port = 20000 + Math.floor(Math.random() * 12000);
      const s = net.createServer();
      s.once("error", tryPort);
      s.listen(port, "127.0.0.1", () => { console.log(port); s.close(); });
    };
    tryPort();'
}

# start_stack NAME [VAR=value...]: a stack in $tmp/NAME, its port in
# $tmp/NAME.port. e2e.js waits for its /healthz while the browser starts.
start_stack() {
  local name=$1 port internal_port
  shift
  port=$(free_port)
  internal_port=$(free_port)
  while [ "$internal_port" = "$port" ]; do internal_port=$(free_port); done
  mkdir -p "$tmp/$name"
  env -u SINK_PORT -u SMTP_URL PORT="$port" INTERNAL_PORT="$internal_port" \
    DATA_DIR="$tmp/$name" RATE_LIMIT=0 CONN_LIMIT=0 MAIL_CAP=0 \
    SCRYPT_LOG2_N=4 "$@" "$root/tools/stack" > "$tmp/$name.log" 2>&1 &
  pids+=($!)
  echo "$port" > "$tmp/$name.port"
}

# The main stack tags each mail's envelope sender for bounces (the
# bounced page) and caps mail per mailbox as a site would (3 an hour: the
# mail cap's page; no other scenario mails one address more than twice).
start_stack main BOUNCE_ADDRESS=bounces@localhost MAIL_CAP=3
start_stack expiry TOKEN_TTL_S=1 WORKERS=1

shots=$build/screenshots
rm -rf "$shots"
mkdir -p "$shots"
status=0
BASE_URL=http://127.0.0.1:$(cat "$tmp/main.port") DATA_DIR=$tmp/main \
EXPIRY_BASE_URL=http://127.0.0.1:$(cat "$tmp/expiry.port") EXPIRY_DATA_DIR=$tmp/expiry \
SHOTS=$shots CHROMIUM=$chromium node "$here/e2e.js" || status=$?

stop_stacks
if [ "$status" -ne 0 ]; then
  echo "browser: the stacks' output follows" >&2
  cat "$tmp/main.log" "$tmp/expiry.log" >&2
else
  echo "browser: screenshots in $shots"
fi
exit "$status"
