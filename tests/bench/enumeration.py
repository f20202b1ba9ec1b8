#!/usr/bin/python3
"""Do answers to POST /register or /register/resend tell a known address
from a new one?

Starts the real stack (tools/stack), verifies one address, then posts
registrations for new addresses and for the verified one, interleaved so
drift hits both alike, and prints both answer-time distributions and the
answers themselves (each receipt written R). Then "send it again" (POST
/register/resend) for an unverified address (twice, as two runs of the
same address: their difference is the noise), the verified one and an
unknown one, interleaved (a new order each round), and each median's distance from the unverified
address's first run beside that noise, and beside the noise two runs of
one address stay within 95 % of the time (a bootstrap of its answers; one
pair of runs is one draw of the noise, which an address answering exactly
alike beats only half the time). Usage: tests/bench/enumeration.py
[ROUNDS] (default 200). Env: SCRYPT_LOG2_N (default 15), BUILD (default
build).
"""
import glob, http.client, json, os, random, re, signal, socket, statistics, subprocess, sys, tempfile, time

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

        pending = "pending@example.com"  # registered, never verified
        post("/register", json.dumps({"email": pending, "password": "a good password"}))

        def shape(body):
            return re.sub(rb'"receipt":"[A-Za-z0-9_-]+"', b'"receipt":"R"', body)

        times = {"new": [], "known": []}
        answers = {"new": set(), "known": set()}
        for i in range(ROUNDS):
            for kind in ("new", "known") if i % 2 == 0 else ("known", "new"):
                email = known if kind == "known" else f"new-{i}@example.com"
                dt, status, body = post("/register", json.dumps({"email": email, "password": "a good password"}))
                times[kind].append(dt * 1000)
                answers[kind].add((status, shape(body)))

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
        print("answers byte-identical but for the receipt:", same, sorted(answers["new"]))

        # POST /register/resend: each series in turn.
        series = {"unverified": pending, "unverified2": pending,
                  "verified": known, "unknown": "nobody@example.com"}
        rtimes = {k: [] for k in series}
        ranswers = {k: set() for k in series}
        names = list(series)
        # A new order each round: in a rotation each address always comes
        # right after the same other one, whose work after its answer (a
        # mail of its kind) then weighs on its time alone.
        order_rng = random.Random(2)
        for i in range(ROUNDS):
            order = names[:]
            order_rng.shuffle(order)
            for k in order:
                dt, status, body = post("/register/resend", json.dumps({"email": series[k]}))
                rtimes[k].append(dt * 1000)
                ranswers[k].add((status, shape(body)))
        base = statistics.median(rtimes["unverified"])
        noise = abs(statistics.median(rtimes["unverified2"]) - base)
        print(f"\nPOST /register/resend, {ROUNDS} of each, in a new order each round; answer time in ms")
        print(f"{'address':11} {'p10':>7} {'p50':>7} {'p90':>7} {'p99':>7} {'|p50 - unverified p50|':>24}")
        for k in names:
            xs = rtimes[k]
            d = abs(statistics.median(xs) - base)
            print(f"{k:11} {q(xs,10):7.2f} {q(xs,50):7.2f} {q(xs,90):7.2f} {q(xs,99):7.2f} {d:24.3f}")
        print(f"noise (two runs of the same address): {noise:.3f} ms; "
              f"verified {'within' if abs(statistics.median(rtimes['verified']) - base) < noise else 'NOT within'} it, "
              f"unknown {'within' if abs(statistics.median(rtimes['unknown']) - base) < noise else 'NOT within'} it")
        # One pair of runs of the same address gives one draw of the noise:
        # against it, an address answering exactly alike lands "within" only
        # about half the time. The noise that two runs of one address stay
        # within 95 % of the time: the medians of two resamples (N answers
        # each) of that address's 2N answers, 4,000 times (a bootstrap).
        pooled = rtimes["unverified"] + rtimes["unverified2"]
        rng = random.Random(1)
        gaps = sorted(abs(statistics.median(rng.choices(pooled, k=ROUNDS)) -
                          statistics.median(rng.choices(pooled, k=ROUNDS)))
                      for _ in range(4000))
        noise95 = gaps[int(0.95 * len(gaps))]
        print(f"noise, 95 % of two runs of the same address (bootstrap): {noise95:.3f} ms; "
              f"verified {'within' if abs(statistics.median(rtimes['verified']) - base) < noise95 else 'NOT within'} it, "
              f"unknown {'within' if abs(statistics.median(rtimes['unknown']) - base) < noise95 else 'NOT within'} it")
        rsame = all(ranswers[k] == ranswers["unknown"] for k in names) and len(ranswers["unknown"]) == 1
        print("answers byte-identical but for the receipt:", rsame, sorted(ranswers["unknown"]))
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=15)


if __name__ == "__main__":
    main()
