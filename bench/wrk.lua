-- Request generator and reporter for bench/run.py and bench/uow_bench.py (wrk 4.x, LuaJIT).
-- Arguments after "--": mode, series (5 digits), the body file, the file of ids to GET.
-- Modes of run.py: hello | create | get | mix. The body is the GPD create template (with __IUPD__
-- and __IUV__), the ids are IUPDs. Every create gets a unique IUPD and IUV: series + thread id +
-- per-thread counter.
-- Modes of uow_bench.py, where a 3xx answer is a good one too:
--   cart     POST /checkout/ec/v1/carts with the body as is (the same cart every time)
--   prism    the same POST on Prism's path, /carts
--   cartget  GET /ecommerce/checkout/v1/carts/{id}, round-robin over the ids
--   payment  a cart with a unique notice (the body has __NOTICE__), then, once its 302 is back,
--            POST /_sandbox/v1/carts/{id}/complete; a payment counts when that answers PAID

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
  counter, non2xx, sample, payments = 0, 0, "", 0
  ok_max = (mode == "cart" or mode == "prism" or mode == "payment") and 399 or 299
  pending = {} -- carts created and not completed yet (payment mode), shared by this thread's connections
  headers = { ["Ocp-Apim-Subscription-Key"] = "k", ["Content-Type"] = "application/json" }
  base = "/gpd/debt-positions-service/v1/organizations/77777777777/debtpositions"
  if mode == "cart" or mode == "prism" then
    cart = read_file(args[3])
  elseif mode == "payment" then
    local tpl = read_file(args[3])
    local i, j = tpl:find("__NOTICE__", 1, true)
    head, tail = tpl:sub(1, i - 1), tpl:sub(j + 1)
  end
  if mode == "create" or mode == "mix" then
    local tpl = read_file(args[3])
    local i1, j1 = tpl:find("__IUPD__", 1, true)
    local i2, j2 = tpl:find("__IUV__", 1, true)
    head, middle, tail = tpl:sub(1, i1 - 1), tpl:sub(j1 + 1, i2 - 1), tpl:sub(j2 + 1)
  end
  iupds = {}
  if mode == "get" or mode == "mix" or mode == "cartget" then
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
  if mode == "cart" then
    return wrk.format("POST", "/checkout/ec/v1/carts", headers, cart)
  elseif mode == "prism" then
    return wrk.format("POST", "/carts", headers, cart)
  elseif mode == "cartget" then
    return wrk.format("GET", "/ecommerce/checkout/v1/carts/" .. iupds[counter % #iupds + 1], headers)
  elseif mode == "payment" then
    local cart_id = table.remove(pending)
    if cart_id then
      return wrk.format("POST", "/_sandbox/v1/carts/" .. cart_id .. "/complete", headers, "{}")
    end
    local notice = string.format("39%s%02d%09d", series, id, counter)
    return wrk.format("POST", "/checkout/ec/v1/carts", headers, head .. notice .. tail)
  end
  if mode == "create" or (mode == "mix" and counter % 2 == 1) then
    local n = string.format("%s%02d%08d", series, id, counter)
    local body = head .. "BENCH-" .. n .. middle .. "01" .. n .. tail
    return wrk.format("POST", base .. "?toPublish=true", headers, body)
  end
  return wrk.format("GET", base .. "/" .. iupds[counter % #iupds + 1], headers)
end

function response(status, response_headers, body)
  if mode == "payment" then
    local location = response_headers["Location"] or response_headers["location"]
    if status == 302 and location then
      table.insert(pending, location:match("/carts/([^/?]+)"))
    elseif status == 200 then
      if body:find('"state":"PAID"', 1, true) then
        payments = payments + 1
      else
        status = 0 -- completed, but not paid: count it as a bad answer
      end
    end
  end
  if status < 200 or status > ok_max then
    non2xx = non2xx + 1
    if sample == "" then
      sample = (status .. " " .. body:sub(1, 200)):gsub('[%c"\\]', " ")
    end
  end
end

function done(summary, latency, _)
  local bad, first, paid = 0, "", 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    paid = paid + thread:get("payments")
    if first == "" then
      first = thread:get("sample")
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.6f,"mean_ms":%.3f,"p50_ms":%.3f,"p95_ms":%.3f,'
      .. '"p99_ms":%.3f,"max_ms":%.3f,"non2xx":%d,"socket_errors":%d,"payments":%d,"sample":"%s"}\n',
    summary.requests, summary.duration / 1e6, latency.mean / 1e3, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3, bad,
    e.connect + e.read + e.write + e.timeout, paid, first
  ))
end
