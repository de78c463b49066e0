import Logging
import Postgres
import Prometheus
import Synchronization

/// Work waiting in a service's tables, measured when its metrics are scraped: the figures a
/// platform team scales a service on (events its relay has not yet delivered, jobs and sends
/// that are due), which no counter of the work done can show.
///
/// Each gauge is one query answering one number in a column `value` (`float8`, NULL for 0), run
/// at every `Metrics` call while the service serves (migrated, database reachable), each
/// within 500 ms. A query that fails leaves its gauge at its last figure and is logged; the
/// scrape still answers. Counts are capped by the queries
/// themselves (`LIMIT` inside the count), so a large backlog costs a bounded scan.
public final class BacklogGauges: Sendable {
    private struct Entry: Sendable {
        var gauge: Gauge
        var name: String
        var sql: String
    }

    /// The most rows a backlog count reads: beyond it the gauge says this many.
    public static let countCap = 100_000

    private let registry: PrometheusCollectorRegistry
    private let entries = Mutex<[Entry]>([])

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Adds the gauge `smarterchat_<name>{labels}`, set from `sql`'s `value` at each scrape.
    public func add(name: String, help: String, labels: [(String, String)] = [], sql: String) {
        let gauge = registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "smarterchat", metricName: name, unitName: "", helpText: help),
            labels: labels)
        entries.withLock { $0.append(Entry(gauge: gauge, name: name, sql: sql)) }
    }

    /// Work that falls due at `dueAt` (rows of `table` matching `predicate`): the gauges
    /// `smarterchat_<name>_due` (due and not yet taken) and `smarterchat_<name>_oldest_due_seconds`
    /// (how long the first of them in `dueAt` order has waited; an index on `dueAt` with the
    /// predicate makes it one row).
    public func addDueWork(name: String, what: String, table: String, dueAt: String, where predicate: String) {
        let due = "\(predicate) AND \(dueAt) <= CURRENT_TIMESTAMP"
        add(
            name: "\(name)_due", help: "\(what.prefix(1).uppercased() + what.dropFirst()) due and not yet taken.",
            sql: Self.countSQL(table, where: due))
        add(
            name: "\(name)_oldest_due_seconds", help: "How long the longest-waiting due one of the \(what) has waited.",
            sql: Self.ageSQL(table, timestamp: dueAt, where: due, order: dueAt))
    }

    /// Runs every gauge's query on `database` and sets the gauges.
    /// Queries not started within `budget` of the refresh's start are skipped (their gauges
    /// keep their last figures), so the whole refresh stays well inside the gateway's 2 s.
    public func refresh(database: PostgresClient, logger: Logger, budget: Duration = .seconds(1)) async {
        let entries = entries.withLock { $0 }
        guard !entries.isEmpty else { return }
        let deadline = ContinuousClock.now + budget
        do {
            try await database.withConnection(logger: logger) { connection in
                // A slow database must not hold the scrape (the gateway waits 2 s for it). Not
                // in a transaction: one failing query must not abort the others.
                try await connection.execute("SET statement_timeout = '500ms'")
                defer { connection.executeLater("RESET statement_timeout") }
                for entry in entries {
                    guard ContinuousClock.now < deadline else {
                        logger.warning("backlog gauges refresh out of time", metadata: ["metric": "\(entry.name)"])
                        break
                    }
                    do {
                        let rows = try await connection.query(PostgresQuery(unsafeSQL: entry.sql))
                        entry.gauge.set(try rows.firstRow?.decode(Double?.self, "value") ?? 0)
                    } catch {
                        logger.warning(
                            "backlog gauge query failed", metadata: ["metric": "\(entry.name)", "error": "\(error)"])
                    }
                }
            }
        } catch {
            logger.warning("backlog gauges not refreshed", metadata: ["error": "\(error)"])
        }
    }

    /// How many rows of `table` match `predicate`, counting at most ``countCap``.
    public static func countSQL(_ table: String, where predicate: String) -> String {
        "SELECT count(*)::float8 AS value FROM (SELECT 1 FROM \(table) WHERE \(predicate) LIMIT \(countCap)) AS backlog"
    }

    /// Seconds from the `timestamp` of the first row of `table` matching `predicate`, in
    /// `order`, to now, by the database's clock (0 when no row matches or it lies ahead).
    /// `order` should be what an index on the predicate is sorted by, so this reads one row.
    public static func ageSQL(_ table: String, timestamp: String, where predicate: String, order: String) -> String {
        """
        SELECT coalesce((SELECT greatest(0, extract(epoch FROM clock_timestamp() - \(timestamp)))::float8
                         FROM \(table) WHERE \(predicate) ORDER BY \(order) LIMIT 1), 0) AS value
        """
    }
}
