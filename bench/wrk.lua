-- Request generator and reporter for bench/run.py (wrk 4.x, LuaJIT).
-- Arguments after "--": mode (hello | create | get | mix), series (5 digits),
-- the create-body template file (with __IUPD__ and __IUV__), the file of IUPDs to GET.
-- Every create gets a unique IUPD and IUV: series + thread id + per-thread counter.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function read_file(path)
  local f = assert(io.open(path, "r"))
  local text = f:read("*a")
  f:close()
  return text
end

function init(args)
  mode, series = args[1], args[2]
  counter, non2xx, sample = 0, 0, ""
  headers = { ["Ocp-Apim-Subscription-Key"] = "k", ["Content-Type"] = "application/json" }
  base = "/gpd/debt-positions-service/v1/organizations/77777777777/debtpositions"
  if mode == "create" or mode == "mix" then
    local tpl = read_file(args[3])
    local i1, j1 = tpl:find("__IUPD__", 1, true)
    local i2, j2 = tpl:find("__IUV__", 1, true)
    head, middle, tail = tpl:sub(1, i1 - 1), tpl:sub(j1 + 1, i2 - 1), tpl:sub(j2 + 1)
  end
  iupds = {}
  if mode == "get" or mode == "mix" then
    for line in read_file(args[4]):gmatch("[^\n]+") do
      table.insert(iupds, line)
    end
  end
end

function request()
  counter = counter + 1
  if mode == "hello" then
    return wrk.format("GET", "/", headers)
  end
  if mode == "create" or (mode == "mix" and counter % 2 == 1) then
    local n = string.format("%s%02d%08d", series, id, counter)
    local body = head .. "BENCH-" .. n .. middle .. "01" .. n .. tail
    return wrk.format("POST", base .. "?toPublish=true", headers, body)
  end
  return wrk.format("GET", base .. "/" .. iupds[counter % #iupds + 1], headers)
end

function response(status, _, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if sample == "" then
      sample = (status .. " " .. body:sub(1, 200)):gsub('[%c"\\]', " ")
    end
  end
end

function done(summary, latency, _)
  local bad, first = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    if first == "" then
      first = thread:get("sample")
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.6f,"mean_ms":%.3f,"p50_ms":%.3f,"p95_ms":%.3f,'
      .. '"p99_ms":%.3f,"max_ms":%.3f,"non2xx":%d,"socket_errors":%d,"sample":"%s"}\n',
    summary.requests, summary.duration / 1e6, latency.mean / 1e3, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3, bad,
    e.connect + e.read + e.write + e.timeout, first
  ))
end
