import Contracts
import Foundation
import Postgres

/// The relay's SQL on a service's `outbox` table.
enum OutboxStore {
    /// Takes, for the rest of the transaction, the right to deliver `source`'s outbox to
    /// `subscriber` (a transaction advisory lock keyed by both); false, at once, when another
    /// transaction (another replica's relay) holds it.
    ///
    /// It also sets `plan_cache_mode` to `force_generic_plan` for the rest of the transaction,
    /// for ``markDelivered(_:to:on:)``: a custom plan, costed for the batch's own ids, kept
    /// looking cheaper than the generic plan of `id = ANY($2)` on the bench's outbox, so the
    /// mark was planned again at every execution (pg_stat_statements at 500 messages/s: 952
    /// plans for 948 marks, 0.16 ms each). Both are the same index scan on the event ids.
    static func claimDelivery(
        to subscriber: String, source: String, on connection: PostgresConnection
    ) async throws
        -> Bool
    {
        let rows = try await connection.query(
            """
            SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS claimed,
                set_config('plan_cache_mode', 'force_generic_plan', true) AS plan_cache_mode
            """,
            ["smarterchat.outbox:\(source):\(subscriber)"])
        return try rows.firstRow?.decode(Bool.self, "claimed") ?? false
    }

    /// Whether `name` can be written into a query's text: lower-case letters only.
    static func isSubscriberName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
    }

    /// The SQL condition of an event `subscriber` has yet to receive, as literal text (its name
    /// and excluded types written in, so the planner can use idx_outbox_pending_<name>), for
    /// the backlog gauges. Subscribers are the platform's own constants.
    static func pendingPredicate(for subscriber: OutboxSubscriber) -> String {
        let name = subscriber.service.name
        precondition(isSubscriberName(name), "an outbox subscriber's name is lower-case letters")
        let excluded = subscriber.excludedTypes.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }
        let types = excluded.isEmpty ? "" : " AND NOT (event_type IN (\(excluded.joined(separator: ", "))))"
        return "NOT ('\(name)' = ANY(delivered_to))" + types
    }

    /// Up to `limit` events not yet delivered to `subscriber`, oldest first.
    static func pending(
        for subscriber: String, excluding excludedTypes: [String], limit: Int, source: String,
        on connection: PostgresConnection
    ) async throws -> [Common.Event] {
        // The subscriber's name is written into the text (a service name: lower-case letters
        // only, checked) so the planner can use its partial index (idx_outbox_pending_<name>,
        // whose predicate names it as a constant); a parameter would not match it.
        guard isSubscriberName(subscriber) else {
            throw PostgresError(code: .invalidArgument, message: "an outbox subscriber's name is lower-case letters")
        }
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT sequence, id, organization_id, event_type, aggregate_type, aggregate_id, payload,
                        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at
                    FROM outbox
                    WHERE NOT ('\(subscriber)' = ANY(delivered_to)) AND NOT (event_type = ANY($1))
                    ORDER BY sequence
                    LIMIT $2
                    """), [excludedTypes, limit])
        return try rows.map { row in
            Common.Event(
                id: try row.decode(UUID.self, "id").lowercasedString,
                type: try row.decode(String.self, "event_type"),
                organizationId: try row.decode(UUID.self, "organization_id").lowercasedString,
                aggregateType: try row.decode(String.self, "aggregate_type"),
                aggregateId: try row.decode(UUID.self, "aggregate_id").lowercasedString,
                occurredAt: try row.decode(String.self, "occurred_at"),
                payloadJson: try row.decode(PostgresJSON.self, "payload").text, source: source,
                sequence: try row.decode(Int64.self, "sequence"))
        }
    }

    /// Records that `eventIDs` reached `subscriber`. Committed asynchronously (no wait for
    /// the WAL flush): a mark lost to a database crash only delivers the events again, which
    /// subscribers already take (delivery is at least once; they skip event ids they have).
    static func markDelivered(
        _ eventIDs: [String], to subscriber: String, on connection: PostgresConnection
    )
        async throws
    {
        try await connection.execute(
            """
            WITH asynchronous AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
            UPDATE outbox SET delivered_to = array_append(delivered_to, $1)
            FROM asynchronous
            WHERE id = ANY($2::uuid[]) AND NOT ($1 = ANY(delivered_to))
            """, [subscriber, eventIDs])
    }

    /// Deletes events older than `days` days, `batch` at a time (``BatchedDelete``); answers
    /// how many. Run on a connection outside a transaction, so each batch commits.
    static func purge(
        olderThanDays days: Int, batch: Int = BatchedDelete.defaultBatch, on connection: PostgresConnection
    ) async throws -> Int {
        try await BatchedDelete.run(batch: batch) { limit in
            try await connection.execute(
                """
                DELETE FROM outbox WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM outbox WHERE occurred_at < CURRENT_TIMESTAMP - make_interval(days => $1::int)
                    LIMIT $2))
                """, [days, limit])
        }
    }
}
