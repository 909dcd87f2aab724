-- wrk script shared by every bench scenario.
-- Request shape from the environment:
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    request body (sent with Content-Type: application/json)
--   BENCH_BODIES  instead of BENCH_BODY: a file with one request body per
--                 line; each request sends the next line (the second thread
--                 starts half-way through), e.g. the logins of an office of
--                 many accounts
--   BENCH_TOKEN   session token, sent as "Authorization: Bearer <token>"
--   BENCH_EXPECT  what a success is: "2xx" (default: any 2xx answer) or
--                 "session" (a login: a 200 whose body carries a session,
--                 i.e. a top-level "token" or "csrf", and no "challenge"
--                 object: a 200 with a challenge is a CAPTCHA or another
--                 step, not a sign-in)
-- At the end it prints one machine-readable line:
--   BENCHSTAT requests=N duration_us=N ok=N s2xx=N s401=N s429=N s503=N sother=N
--             expect=2xx|session session=N challenge=N codes=200:N,429:N,...
--             p50_us=N p99_us=N max_us=N errors_connect=N errors_read=N errors_write=N errors_timeout=N
-- ok is the number of successes as BENCH_EXPECT defines them; session and
-- challenge count 200 answers with a session / with a challenge (0 unless
-- BENCH_EXPECT=session); codes counts every answer by its exact status.
-- Status counting per thread: each thread keeps its own counters, done() sums them.

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local bodies_file = os.getenv("BENCH_BODIES")
local token = os.getenv("BENCH_TOKEN")
local expect = os.getenv("BENCH_EXPECT") or "2xx"

wrk.method = method
if (body ~= nil and body ~= "") or (bodies_file ~= nil and bodies_file ~= "") then
   wrk.headers["Content-Type"] = "application/json"
end
if body ~= nil and body ~= "" then
   wrk.body = body
end
if token ~= nil and token ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. token
end

local threads = {}

function setup(thread)
   thread:set("thread_no", #threads)
   table.insert(threads, thread)
end

-- Per thread (each thread has its own Lua state): the prepared requests when
-- BENCH_BODIES is set, and the counters.
local reqs = nil
local next_req = 1

function init(args)
   s2xx, s401, s429, s503, sother, ssession, schallenge = 0, 0, 0, 0, 0, 0, 0
   codes = {}
   if bodies_file ~= nil and bodies_file ~= "" then
      reqs = {}
      for line in io.lines(bodies_file) do
         if line ~= "" then
            table.insert(reqs, wrk.format(nil, nil, nil, line))
         end
      end
      if #reqs == 0 then
         error("BENCH_BODIES " .. bodies_file .. " holds no request body")
      end
      -- the bench runs wrk -t2: the second thread starts half-way through
      -- the list, so the requests in flight are for different bodies
      next_req = ((thread_no or 0) * math.floor(#reqs / 2)) % #reqs + 1
   end
end

if bodies_file ~= nil and bodies_file ~= "" then
   function request()
      local r = reqs[next_req]
      next_req = next_req % #reqs + 1
      return r
   end
end

function response(status, headers, resp_body)
   codes[status] = (codes[status] or 0) + 1
   if status >= 200 and status < 300 then
      s2xx = s2xx + 1
      if expect == "session" and status == 200 and resp_body ~= nil then
         if string.find(resp_body, '"challenge"', 1, true) then
            schallenge = schallenge + 1
         elseif string.find(resp_body, '"token"', 1, true) or string.find(resp_body, '"csrf"', 1, true) then
            ssession = ssession + 1
         end
      end
   elseif status == 401 then
      s401 = s401 + 1
   elseif status == 429 then
      s429 = s429 + 1
   elseif status == 503 then
      s503 = s503 + 1
   else
      sother = sother + 1
   end
end

function done(summary, latency, requests)
   local t = { s2xx = 0, s401 = 0, s429 = 0, s503 = 0, sother = 0, ssession = 0, schallenge = 0 }
   local all = {}
   for _, thread in ipairs(threads) do
      for k, _ in pairs(t) do
         t[k] = t[k] + (thread:get(k) or 0)
      end
      local c = thread:get("codes")
      if type(c) == "table" then
         for code, n in pairs(c) do
            all[code] = (all[code] or 0) + n
         end
      end
   end
   local keys = {}
   for code, _ in pairs(all) do
      table.insert(keys, tonumber(code))
   end
   table.sort(keys)
   local parts = {}
   for _, code in ipairs(keys) do
      table.insert(parts, string.format("%d:%d", code, all[code] or all[tostring(code)]))
   end
   local ok = t.s2xx
   if expect == "session" then
      ok = t.ssession
   end
   local e = summary.errors
   io.write(string.format(
      "BENCHSTAT requests=%d duration_us=%d ok=%d s2xx=%d s401=%d s429=%d s503=%d sother=%d " ..
      "expect=%s session=%d challenge=%d codes=%s " ..
      "p50_us=%d p99_us=%d max_us=%d errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d\n",
      summary.requests, summary.duration, ok, t.s2xx, t.s401, t.s429, t.s503, t.sother,
      expect, t.ssession, t.schallenge, (#parts > 0) and table.concat(parts, ",") or "-",
      latency:percentile(50), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.timeout))
end
