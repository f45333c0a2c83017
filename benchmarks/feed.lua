-- The wrk script of benchmarks/feed.py (benchmarks/feed_wrk.py runs it): every request a different
-- user's bearer token, cycled through from a file of "token<TAB>cursor" lines (cursor empty: page 1).
-- One connection per thread (feed_wrk runs -t c -c c), so a response belongs to the thread's last
-- request: its next_cursor is written with that request's token and the monotonic clock to
-- PXW_OUT/cursors-<thread>.tsv, the (token, cursor) pairs of the next page's phase. Each request sent is
-- written there too, with an empty cursor: the requests still in flight when wrk stops are answered by
-- the server all the same, and their new lists replace the ones whose cursors were written before. A token
-- can come round to another thread when the cycle wraps, so only the clock orders a user's lines.
-- Environment: PXW_PAIRS (the pairs file), PXW_PATH (/v1/feed or /v1/explore), PXW_LIMIT (page size),
-- PXW_THREADS, PXW_OFFSET (the first pair used: phases go on where the last stopped), PXW_OUT (a folder),
-- PXW_RESULT (the JSON that done() writes).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } pxw_timespec;
int clock_gettime(int clock, pxw_timespec *now);
]]
local now = ffi.new("pxw_timespec")

local function stamp()
  ffi.C.clock_gettime(1, now)  -- CLOCK_MONOTONIC
  return string.format("%d.%09d", tonumber(now.tv_sec), tonumber(now.tv_nsec))
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local function escape(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  local path, limit = os.getenv("PXW_PATH"), os.getenv("PXW_LIMIT")
  local step, offset = tonumber(os.getenv("PXW_THREADS")), tonumber(os.getenv("PXW_OFFSET"))
  local all = {}
  for line in io.lines(os.getenv("PXW_PAIRS")) do
    local token, cursor = line:match("^([^\t]+)\t?(.*)$")
    if token then table.insert(all, {token, cursor}) end
  end
  requests, tokens = {}, {}
  for _, pair in ipairs(all) do
    local target = path .. "?limit=" .. limit
    if pair[2] ~= "" then target = target .. "&cursor=" .. escape(pair[2]) end
    table.insert(requests, wrk.format("GET", target, {["Authorization"] = "Bearer " .. pair[1]}))
    table.insert(tokens, pair[1])
  end
  n, stride = #requests, step
  at = ((offset + id) % n) + 1
  last = nil
  ok, failed, lightgbm, degraded, served = 0, 0, 0, 0, 0
  out = io.open(string.format("%s/cursors-%d.tsv", os.getenv("PXW_OUT"), id), "w")
end

function request()
  last = at
  at = ((at - 1 + stride) % n) + 1
  out:write(tokens[last], "\t\t", stamp(), "\n")
  return requests[last]
end

function response(status, headers, body)
  served = served + 1
  if status ~= 200 then
    failed = failed + 1
    return
  end
  ok = ok + 1
  if body:find('"scorer":"lightgbm"', 1, true) then lightgbm = lightgbm + 1 end
  if body:find('"degraded":true', 1, true) then degraded = degraded + 1 end
  local cursor = body:match('"next_cursor":"([^"]+)"')
  if cursor and last then
    out:write(tokens[last], "\t", cursor, "\t", stamp(), "\n")
    out:flush()
  end
end

function done(summary, latency, requests)
  local counts = {ok = 0, failed = 0, lightgbm = 0, degraded = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(counts) do counts[name] = counts[name] + (thread:get(name) or 0) end
  end
  local e = summary.errors
  local quantiles = {}
  for _, q in ipairs({50, 90, 95, 99}) do
    table.insert(quantiles, string.format('"p%d": %.1f', q, latency:percentile(q)))
  end
  local f = io.open(os.getenv("PXW_RESULT"), "w")
  f:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "ok": %d, "failed": %d, "lightgbm": %d, "degraded": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {%s, "mean": %.1f, "max": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes, counts.ok, counts.failed, counts.lightgbm, counts.degraded,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(quantiles, ", "), latency.mean, latency.max))
  f:close()
end
