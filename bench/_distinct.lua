-- wrk script of bench/catalog_bench.py: every request takes the next line of a file, so a run
-- sends distinct URLs as real users do instead of one URL the cache answers.
--
--   wrk -t2 -c8 -d10s -s bench/_distinct.lua http://127.0.0.1:8765 -- FILE START THREADS
--
-- FILE holds one request per line: METHOD<TAB>PATH, optionally <TAB>BODY and <TAB>COOKIE (the
-- Cookie header of that request, for requests sent as different users). Thread n of THREADS
-- (wrk's -t) sends lines START + n, START + n + THREADS, ..., wrapping at the end, so a run
-- walks through lines START to START + requests. Other headers come from wrk's -H options.
-- At the end it prints one JSON line: requests, answers with another status than EXPECT (200
-- unless set in the environment), socket errors and latency percentiles in ms.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local lines = {}
local position = 0
local step = 1
unexpected = 0
local expect = tonumber(os.getenv("EXPECT") or "200")

function init(args)
  for line in io.lines(args[1]) do
    table.insert(lines, line)
  end
  step = tonumber(args[3] or "1")
  position = tonumber(args[2] or "0") + id
end

function request()
  local line = lines[position % #lines + 1]
  position = position + step
  local method, path, body, cookie = line:match("^(%u+)\t([^\t]+)\t?([^\t]*)\t?(.*)$")
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  if cookie ~= "" then
    headers["Cookie"] = cookie
  end
  if body == "" then
    body = nil
  end
  return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local wrong = 0
  for _, thread in ipairs(threads) do
    wrong = wrong + thread:get("unexpected")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "unexpected": %d, "socket_errors": %d, '
      .. '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, wrong,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000
  ))
end
