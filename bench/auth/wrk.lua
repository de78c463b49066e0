-- wrk script of bench/auth/run.sh: sends the bearer token of BENCH_TOKEN, keeps all threads
-- together at BENCH_RATE requests per second (bench/lib/pace.lua; 0 or unset: as fast as
-- the connections can), and prints the run as one JSON line. BENCH_THREADS is wrk's -t.
local token = os.getenv("BENCH_TOKEN") or ""
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local pace = dofile(here .. "../lib/pace.lua")

wrk.headers["Authorization"] = "Bearer " .. token

setup = pace.setup

if rate > 0 then
    function init(args)
        delay = pace.delay(rate, threads, index)
    end
end

function done(summary, latency, requests)
    pace.report(summary, latency)
end
