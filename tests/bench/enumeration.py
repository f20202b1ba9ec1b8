#!/usr/bin/python3
"""Do answers to POST /register tell a known address from a new one?

Starts the real stack (tools/stack), verifies one address, then posts
registrations for new addresses and for the verified one, interleaved so
drift hits both alike, and prints both answer-time distributions and the
answers themselves. Usage: tests/bench/enumeration.py [ROUNDS] (default 200).
Env: SCRYPT_LOG2_N (default 15), BUILD (default build).
"""
import glob, http.client, json, os, re, signal, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 200


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port, data = free_port(), tempfile.mkdtemp(prefix="registrar-enum-")
    env = dict(os.environ, PORT=str(port), DATA_DIR=data, RATE_LIMIT="0", MAIL_CAP="0",
               SCRYPT_LOG2_N=os.environ.get("SCRYPT_LOG2_N", "15"), WORKERS="2")
    out = open(os.path.join(data, "stack.out"), "w")
    stack = subprocess.Popen([os.path.join(ROOT, "tools/stack")], env=env, stdout=out, stderr=out)
    try:
        for _ in range(300):
            if "Registration service running" in open(out.name).read():
                break
            time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port)

        def post(path, body, ctype="application/json"):
            t = time.perf_counter()
            conn.request("POST", path, body, {"Content-Type": ctype})
            r = conn.getresponse()
            text = r.read()
            return time.perf_counter() - t, r.status, text

        known = "known@example.com"
        post("/register", json.dumps({"email": known, "password": "a good password"}))
        for _ in range(200):
            mails = glob.glob(os.path.join(data, "mail", "*.eml"))
            if mails:
                break
            time.sleep(0.05)
        token = re.search(rb"token=([A-Za-z0-9_-]+)", open(mails[0], "rb").read()).group(1)
        post("/activate", b"token=" + token, "application/x-www-form-urlencoded")

        times = {"new": [], "known": []}
        answers = {"new": set(), "known": set()}
        for i in range(ROUNDS):
            for kind in ("new", "known") if i % 2 == 0 else ("known", "new"):
                email = known if kind == "known" else f"new-{i}@example.com"
                dt, status, body = post("/register", json.dumps({"email": email, "password": "a good password"}))
                times[kind].append(dt * 1000)
                answers[kind].add((status, body))

        def q(xs, p):
            xs = sorted(xs)
            return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]

        print(f"SCRYPT_LOG2_N={env['SCRYPT_LOG2_N']}, {ROUNDS} of each, interleaved; answer time in ms")
        print(f"{'address':8} {'p10':>7} {'p50':>7} {'p90':>7} {'p99':>7} {'mean':>7} {'stdev':>6}")
        for kind in ("new", "known"):
            xs = times[kind]
            print(f"{kind:8} {q(xs,10):7.2f} {q(xs,50):7.2f} {q(xs,90):7.2f} {q(xs,99):7.2f} "
                  f"{statistics.mean(xs):7.2f} {statistics.stdev(xs):6.2f}")
        same = answers["new"] == answers["known"] and len(answers["new"]) == 1
        print("answers byte-identical:", same, sorted(answers["new"]))
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=15)


if __name__ == "__main__":
    main()
