#!/usr/bin/env python3
"""A receiver for the service's events (WEBHOOK_URL), standard library only.

What a site's app does with an event, in its few essential lines
(verify_event): check the signature, made with DATA_DIR/webhook.secret over
"<X-Event-Timestamp>.<raw body>"; refuse a timestamp more than 5 minutes
away; keep each event id, because an event can arrive more than once.

The tests run it as the real receiver (tests/integration/webhook_test.cc):
every request is recorded in DIR/attempts.jsonl, each new valid event in
DIR/events.jsonl, and DIR/control.json can make it answer 500 ("fail": N
for the next N requests) or answer late ("delay_s": S for the next
"delay_count" requests).

  tools/webhook_receiver.py --secret DATA_DIR/webhook.secret --port 9000
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import threading
import time

MAX_SKEW_S = 300
MAX_BODY = 64 * 1024


def verify_event(key, headers, body, now=None):
    """The event (a dict) if the request is authentic and fresh, else None."""
    ts = headers.get("X-Event-Timestamp", "")
    sig = headers.get("X-Event-Signature", "")
    if not ts.isdigit() or abs((now or time.time()) - int(ts)) > MAX_SKEW_S:
        return None
    mac = hmac.new(key, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sig, "v1=" + mac):
        return None
    event = json.loads(body)
    if event.get("id") != headers.get("X-Event-Id"):
        return None
    return event


class State:
    def __init__(self, directory, key):
        self.dir = directory
        self.key = key
        self.lock = threading.Lock()
        self.seen = set()  # event ids already taken: dedupe
        self.failed = 0  # 500s answered under "fail"
        self.delayed = 0  # late answers under "delay_s"
        self.control_mtime = None

    def knobs(self):
        """control.json; the counters restart whenever it changes."""
        path = os.path.join(self.dir, "control.json")
        try:
            mtime = os.stat(path).st_mtime_ns
            with open(path) as f:
                control = json.load(f)
        except (OSError, ValueError):
            return {}
        if mtime != self.control_mtime:
            self.control_mtime, self.failed, self.delayed = mtime, 0, 0
        return control

    def record(self, name, entry):
        with open(os.path.join(self.dir, name), "a") as f:
            f.write(json.dumps(entry) + "\n")


def make_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, MAX_BODY))
            with state.lock:
                knobs = state.knobs()
                delay = 0
                if state.delayed < knobs.get("delay_count", 0):
                    state.delayed += 1
                    delay = knobs.get("delay_s", 0)
                fail = state.failed < knobs.get("fail", 0)
                if fail:
                    state.failed += 1
            if delay:
                time.sleep(delay)
            try:
                event = verify_event(state.key, self.headers, body)
            except ValueError:
                event = None
            status = 401 if event is None else 500 if fail else 204
            with state.lock:
                entry = {"id": self.headers.get("X-Event-Id", ""),
                         "valid": event is not None, "status": status,
                         "late": bool(delay)}
                if status == 204:
                    entry["duplicate"] = event["id"] in state.seen
                # The attempt first: whoever sees the event sees it too.
                state.record("attempts.jsonl", entry)
                if status == 204 and not entry["duplicate"]:
                    state.seen.add(event["id"])
                    state.record("events.jsonl", event)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret", required=True, help="webhook.secret file")
    parser.add_argument("--port", type=int, default=0, help="0: a free one")
    parser.add_argument("--dir", default=".", help="where to record")
    args = parser.parse_args()
    with open(args.secret, "rb") as f:
        key = f.read().strip()  # the 64 hex characters, as ASCII bytes
    state = State(args.dir, key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port),
                                             make_handler(state))
    port_file = os.path.join(args.dir, "receiver.port")
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
