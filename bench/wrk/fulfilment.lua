-- wrk script: POSTs fulfilment_pending webhooks, each with a distinct fulfilment id.
-- Environment: BENCH_UNIT (credits | free_months), BENCH_ID_BASE (first id of this run; runs must not overlap).
-- Ids: BENCH_ID_BASE + thread * 1e9 + n. Prints one RESULT line; errors = socket errors + answers other than 200.
local unit = os.getenv("BENCH_UNIT") or "credits"
local base = tonumber(os.getenv("BENCH_ID_BASE") or "1000000000000")
local threads = {}
local nthreads = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

function init(args)
  n = 0
  non200 = 0
  statuses = {}
end

function request()
  n = n + 1
  local id = string.format("%d", base + tid * 1000000000 + n)
  local cust, amount
  if unit == "free_months" then
    cust = "cus_bench" .. id
    amount = "1"
  else
    cust = "p" .. (n % 1000)
    amount = '"20"'
  end
  local body = '{"event":{"id":"ev' .. id .. '","type":"fulfilment_pending","created_at":"2017-10-13T15:47:12.001Z"},'
    .. '"data":{"id":' .. id .. ',"status":"pending","date_paid":null,"amount":' .. amount .. ',"unit":"' .. unit .. '",'
    .. '"promoter":{"id":235,"cust_id":"' .. cust .. '","email":"sam@example.org"}}}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non200")
  end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d errors=%d socket_errors=%d non200=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    bad + e.connect + e.read + e.write + e.timeout, e.connect + e.read + e.write + e.timeout, bad))
end
