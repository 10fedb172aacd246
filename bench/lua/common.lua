-- Loaded by every scenario script. Counts answers by status in each thread and, when the
-- run ends, prints one line for bench/run:
--   RESULT {"requests":N,"duration_s":S,"rps":R,"p50_ms":..,"p90_ms":..,"p99_ms":..,
--           "max_ms":..,"socket_errors":{...},"statuses":{"200":N,...}}

local threads = {}

function setup(thread)
   thread:set("thread_id", #threads + 1)
   table.insert(threads, thread)
end

statuses = {}

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for code, n in pairs(thread:get("statuses") or {}) do
         total[tostring(code)] = (total[tostring(code)] or 0) + n
      end
   end
   local codes = {}
   for code, n in pairs(total) do
      table.insert(codes, string.format('"%s":%d', code, n))
   end
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      'RESULT {"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,' ..
      '"p99_ms":%.3f,"max_ms":%.3f,"socket_errors":{"connect":%d,"read":%d,"write":%d,' ..
      '"timeout":%d},"statuses":{%s}}\n',
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.connect, e.read, e.write, e.timeout, table.concat(codes, ",")))
end
