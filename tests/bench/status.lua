-- wrk script for the status poll row (CONTRACT section 8), two modes,
-- the mode and its arguments after "--":
--   register RUN OUT [PAUSE_MS]: POST /register with unique JSON bodies
--     (bench-RUN-s<thread>-<n>@example.com); each answer must be 202 with
--     a receipt, which goes on a line of OUT.<thread> ("-": kept nowhere).
--     PAUSE_MS: each connection waits that long before each request (the
--     registrations going on beside the poll, at a modest rate).
--   poll FILE: GET /register/status?r=R, R drawn at random from FILE's
--     lines (receipts); each answer must be 200, application/json, with
--     the contract's body.
-- Every answer is checked: "bad" counts those that fail (a poll that
-- counted errors as answers would measure nothing). done() prints:
--   RESULT requests=N non2xx=N errors=N seconds=S p50_ms=X p99_ms=Y bad=N
-- and the first bad answer, if any, on a line "BAD ...".
local counter = 1
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local states = {
  queued = true, sending = true, delayed = true, accepted = true,
  refused = true, bounced = true, not_sent = true, verified = true,
}

-- The contract's body, in any key order: {"state":S,"since":T,"detail":D
-- [,"retry_at":T][,"reply":"..."]}, S one of the states, T a whole number,
-- D null or a string.
local function status_ok(body)
  if not body:match('^{.*}$') then return false end
  local state = body:match('[{,]"state":"([a-z_]+)"[,}]')
  return state ~= nil and states[state] ~= nil and
    body:match('[{,]"since":%d+[,}]') ~= nil and
    (body:match('[{,]"detail":null[,}]') or body:match('[{,]"detail":"[^"]*"[,}]')) ~= nil
end

local function note_bad(status, body)
  bad = bad + 1
  if first_bad == "" then
    first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 200)
  end
end

function init(args)
  mode = args[1]
  bad = 0
  first_bad = ""
  n = 0
  if mode == "register" then
    run = args[2] or tostring(os.time())
    if args[3] and args[3] ~= "-" then
      out = assert(io.open(args[3] .. "." .. id, "w"))
      out:setvbuf("line")  -- wrk never closes a thread's Lua state
    end
    local pause = tonumber(args[4] or "0")
    if pause > 0 then
      delay = function() return pause end
    end
    wrk.method = "POST"
    wrk.path = "/register"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Accept"] = "application/json"
    request = function()
      n = n + 1
      return wrk.format(nil, nil, nil, string.format(
        '{"email":"bench-%s-s%d-%d@example.com","password":"a good password"}',
        run, id, n))
    end
    response = function(status, headers, body)
      local r = status == 202 and
        body:match('^{"status":"verification_sent","receipt":"([A-Za-z0-9_-]+)"}$')
      if not r then return note_bad(status, body) end
      if out then out:write(r, "\n") end
    end
  elseif mode == "poll" then
    receipts = {}
    for line in assert(io.open(args[2])):lines() do
      if line ~= "" then table.insert(receipts, line) end
    end
    assert(#receipts > 0, "no receipts in " .. args[2])
    math.randomseed(os.time() * 100 + id)
    wrk.method = "GET"
    wrk.headers["Accept"] = "application/json"
    request = function()
      return wrk.format(nil, "/register/status?r=" .. receipts[math.random(#receipts)])
    end
    response = function(status, headers, body)
      local json = false
      for k, v in pairs(headers) do
        if k:lower() == "content-type" then json = v:match("^application/json") end
      end
      if status ~= 200 or not json or not status_ok(body) then
        note_bad(status, body)
      end
    end
  else
    error("status.lua: mode register or poll, not " .. tostring(mode))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local total, shown = 0, ""
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
    if shown == "" then shown = t:get("first_bad") end
  end
  io.write(string.format(
    "RESULT requests=%d non2xx=%d errors=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f bad=%d\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, total))
  if shown ~= "" then io.write("BAD ", shown, "\n") end
end
