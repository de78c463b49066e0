import Postgres
import Prometheus
import Synchronization

/// The service's PostgreSQL pool in its metrics, read from ``PostgresClient/statistics`` at
/// each scrape: `smarterchat_db_pool_capacity`, `smarterchat_db_pool_connections{state}`
/// (`open`, `idle`), `smarterchat_db_pool_waiting` (callers waiting now), and the counters
/// `smarterchat_db_pool_waits_total` and `smarterchat_db_pool_wait_seconds_total` (leases
/// that found every connection taken, and their time). Waits that keep rising say the pool
/// (`SMARTERCHAT_PG_POOL_SIZE`) or the database is too small for the load, not the service.
final class DatabasePoolMetrics: Sendable {
    private let capacity: Gauge
    private let open: Gauge
    private let idle: Gauge
    private let waiting: Gauge
    private let waits: Counter
    private let waitSeconds: Counter
    /// What the counters have been given so far (they only take increments).
    private let exported = Mutex<(waits: Int, waited: Duration)>((0, .zero))

    init(registry: PrometheusCollectorRegistry) {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(
                namespace: "smarterchat", subsystem: "db_pool", metricName: metric, unitName: unit, helpText: help)
        }
        capacity = registry.makeGauge(descriptor: name("capacity", "", "The most connections the pool opens."))
        let connections = name("connections", "", "The pool's connections, open (idle or leased) and idle.")
        open = registry.makeGauge(descriptor: connections, labels: [("state", "open")])
        idle = registry.makeGauge(descriptor: connections, labels: [("state", "idle")])
        waiting = registry.makeGauge(descriptor: name("waiting", "", "Callers waiting for a connection now."))
        waits = registry.makeCounter(descriptor: name("waits", "total", "Leases that found every connection taken."))
        waitSeconds = registry.makeCounter(
            descriptor: name("wait_seconds", "total", "Time leases spent waiting for a connection."))
    }

    /// Sets the figures from `statistics`.
    func update(_ statistics: PostgresClient.Statistics) {
        capacity.set(Double(statistics.capacity))
        open.set(Double(statistics.open))
        idle.set(Double(statistics.idle))
        waiting.set(Double(statistics.waiting))
        let (newWaits, newWaited) = exported.withLock { exported in
            defer { exported = (max(exported.waits, statistics.waits), max(exported.waited, statistics.waited)) }
            return (max(0, statistics.waits - exported.waits), max(.zero, statistics.waited - exported.waited))
        }
        waits.increment(by: Int64(newWaits))
        let seconds = Double(newWaited.components.seconds) + Double(newWaited.components.attoseconds) / 1e18
        waitSeconds.increment(by: seconds)
    }
}
