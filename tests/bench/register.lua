-- wrk script: each request is POST /register with a unique JSON body.
-- Addresses are bench-<RUN>-<thread>-<n>@example.com, so no two requests
-- of a run, nor of two runs, share one (RUN comes after "--").
-- done() prints one machine-readable line for tests/bench/run.sh:
--   RESULT requests=N non2xx=N errors=N seconds=S p50_ms=X p99_ms=Y
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  run = args[1] or tostring(os.time())
  n = 0
  wrk.method = "POST"
  wrk.path = "/register"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
end

function request()
  n = n + 1
  local body = string.format(
    '{"email":"bench-%s-%d-%d@example.com","password":"a good password"}',
    run, id, n)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d non2xx=%d errors=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000))
end
