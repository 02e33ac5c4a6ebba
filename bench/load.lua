-- wrk script of bench/load.py: a mixed list of requests (content and auth) through the gateway,
-- every answer expected to be 200. Arguments: the request file, the answers each thread takes
-- before it stops, and a path prefix: a thread that is done creates `<prefix><id>`, and
-- bench/load.py interrupts wrk (whose main thread otherwise sleeps out -d) once all have.
-- Request file: one request per line, "METHOD<TAB>PATH<TAB>TOKEN or -<TAB>JSON body or empty".

local threads = {}

function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

local prepared = {}
local quota = 0
local done_marker = nil
local position = 0
answered, ok, statuses = 0, 0, {}

function init(args)
    quota = tonumber(args[2])
    done_marker = args[3] .. id
    for line in io.lines(args[1]) do
        local method, path, token, body = line:match("^(%S+)\t(%S+)\t(%S+)\t(.*)$")
        local headers = {}
        if token ~= "-" then
            headers["Authorization"] = "Bearer " .. token
        end
        if body == "" then
            body = nil
        else
            headers["Content-Type"] = "application/json"
        end
        table.insert(prepared, wrk.format(method, path, headers, body))
    end
    -- Threads start at different points of the mix, so they do not send the same request together.
    position = id * math.floor(#prepared / 2)
end

function request()
    position = position + 1
    return prepared[(position % #prepared) + 1]
end

function response(status, headers, body)
    answered = answered + 1
    if status == 200 then
        ok = ok + 1
    end
    statuses[status] = (statuses[status] or 0) + 1
    if answered == quota then
        local marker = io.open(done_marker, "w")
        marker:close()
        wrk.thread:stop()
    end
end

function done(summary, latency, requests)
    local total, good, codes = 0, 0, {}
    for _, thread in ipairs(threads) do
        total = total + thread:get("answered")
        good = good + thread:get("ok")
        for status, count in pairs(thread:get("statuses")) do
            codes[status] = (codes[status] or 0) + count
        end
    end
    local parts = {}
    for status, count in pairs(codes) do
        table.insert(parts, string.format('"%d":%d', status, count))
    end
    local errors = summary.errors
    io.write(string.format(
        'LOAD-RESULT {"answered":%d,"ok":%d,"statuses":{%s},"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
        '"max_us":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
        '"timeouts":%d}\n',
        total, good, table.concat(parts, ","), latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.max, summary.duration, errors.connect, errors.read,
        errors.write, errors.timeout))
end
