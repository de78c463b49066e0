import Metrics
import Synchronization

/// Per-method call counts and latencies of an RPC server, through swift-metrics:
/// `smarterchat_rpc_server_calls_total{method, code}` and
/// `smarterchat_rpc_server_duration_seconds{method}`.
///
/// Metric handles are created once per method and status and cached, so recording a call
/// costs a dictionary lookup and the backend's increment.
final class RPCServerMetrics: Sendable {
    private struct Key: Hashable {
        var method: String
        var code: String
    }

    private let counters = Mutex<[Key: Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])

    /// Records one finished call.
    func record(method: String, code: String, duration: Duration) {
        let key = Key(method: method, code: code)
        let counter = counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(
                label: "smarterchat_rpc_server_calls_total", dimensions: [("method", method), ("code", code)])
            cache[key] = counter
            return counter
        }
        counter.increment()
        let timer = timers.withLock { cache in
            if let timer = cache[method] { return timer }
            let timer = Metrics.Timer(
                label: "smarterchat_rpc_server_duration_seconds", dimensions: [("method", method)])
            cache[method] = timer
            return timer
        }
        timer.record(duration: duration)
    }
}
