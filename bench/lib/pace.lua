-- Fixed-rate pacing and the JSON report for the wrk scripts of bench/, loaded with dofile.
--
-- wrk paces a connection only by waiting a fixed time after each answer. Connections that
-- start together then stay in step: 8 connections waiting 20 ms each send 8 requests at the
-- same instant 50 times a second instead of one every 2.5 ms, and what is measured is how a
-- burst of 8 queues rather than the latency at 400 requests/s; the rate reached also
-- depends on the latency. Here each thread sends on its own schedule of evenly spaced
-- instants (the threads offset from each other by an equal share of the spacing), so the
-- requests of all threads arrive one at a time at exactly the total rate, as wrk2's or
-- vegeta's constant rate does. Each connection, once its previous answer is in, takes the
-- next free instant and waits for it. wrk's timers have 1 ms resolution: an instant is kept
-- to about 1 ms, the rate on average exactly.
--
-- A connection that finds its instant already past (every connection of its thread was
-- busy) sends at once; wrk counts that request's latency from when it was sent, not from
-- when it was due, so such sends are counted ("late_sends" in the report: a run with many
-- needs more connections). One more than a spacing behind, the schedule restarts from now
-- rather than catching up in a burst.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_pace_timespec;
int clock_gettime(int clock, bench_pace_timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_pace_timespec")

local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
    return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local pace = { threads = {} }

-- For wrk's setup(): numbers the threads (a global `index` in each, 0-based) and keeps them
-- for the report.
function pace.setup(thread)
    thread:set("index", #pace.threads)
    table.insert(pace.threads, thread)
end

-- A wrk delay() that keeps this thread at rate / threads requests per second. Call it from
-- init(), where `index` is set; `threads` is wrk's -t.
function pace.delay(rate, threads, thread_index)
    local spacing = 1000 * threads / rate
    local next_instant = nil
    late_sends = 0
    return function()
        local now = now_ms()
        if next_instant == nil then
            next_instant = now + spacing * thread_index / threads
        elseif next_instant < now - spacing then
            next_instant = now
        end
        local wait = next_instant - now
        next_instant = next_instant + spacing
        if wait < -1 then
            late_sends = late_sends + 1
        end
        if wait <= 0 then
            return 0
        end
        return math.floor(wait + 0.5)
    end
end

-- For wrk's done(): the run as one JSON line.
function pace.report(summary, latency)
    local seconds = summary.duration / 1e6
    local e = summary.errors
    local late = 0
    for _, thread in ipairs(pace.threads) do
        late = late + (thread:get("late_sends") or 0)
    end
    io.write(string.format(
        '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"socket_errors":%d,"non_2xx":%d,"late_sends":%d}\n',
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.connect + e.read + e.write + e.timeout, e.status, late))
end

return pace
