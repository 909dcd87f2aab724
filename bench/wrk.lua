-- wrk script shared by every bench scenario.
-- Request shape from the environment:
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    request body (sent with Content-Type: application/json)
--   BENCH_TOKEN   session token, sent as "Authorization: Bearer <token>"
-- At the end it prints one machine-readable line:
--   BENCHSTAT requests=N duration_us=N s2xx=N s401=N s429=N s503=N sother=N
--             p50_us=N p99_us=N max_us=N errors_connect=N errors_read=N errors_write=N errors_timeout=N
-- Status counting per thread: each thread keeps its own counters, done() sums them.

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local token = os.getenv("BENCH_TOKEN")

wrk.method = method
if body ~= nil and body ~= "" then
   wrk.body = body
   wrk.headers["Content-Type"] = "application/json"
end
if token ~= nil and token ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. token
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   s2xx, s401, s429, s503, sother = 0, 0, 0, 0, 0
end

function response(status, headers, resp_body)
   if status >= 200 and status < 300 then
      s2xx = s2xx + 1
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
   local t = { s2xx = 0, s401 = 0, s429 = 0, s503 = 0, sother = 0 }
   for _, thread in ipairs(threads) do
      for k, _ in pairs(t) do
         t[k] = t[k] + (thread:get(k) or 0)
      end
   end
   local e = summary.errors
   io.write(string.format(
      "BENCHSTAT requests=%d duration_us=%d s2xx=%d s401=%d s429=%d s503=%d sother=%d " ..
      "p50_us=%d p99_us=%d max_us=%d errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d\n",
      summary.requests, summary.duration, t.s2xx, t.s401, t.s429, t.s503, t.sother,
      latency:percentile(50), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.timeout))
end
