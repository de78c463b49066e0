import Foundation
import Postgres

/// A service's outbox (DESIGN §4): events are written in the same transaction as the state
/// change that causes them, into the service's own `outbox` table, and delivered later by
/// ``OutboxRelay``.
///
/// Every service that produces events creates the table in its migrations:
///
/// ```sql
/// CREATE TABLE outbox (
///     sequence BIGSERIAL PRIMARY KEY,
///     id UUID NOT NULL UNIQUE DEFAULT gen_random_uuid(),
///     organization_id UUID NOT NULL,
///     event_type VARCHAR(100) NOT NULL,
///     aggregate_type VARCHAR(50) NOT NULL,
///     aggregate_id UUID NOT NULL,
///     payload JSONB NOT NULL DEFAULT '{}',
///     occurred_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
///     delivered_to TEXT[] NOT NULL DEFAULT '{}'
/// );
/// CREATE INDEX idx_outbox_occurred_at ON outbox (occurred_at);
/// ```
public enum Outbox {
    /// One event to append.
    public struct Event: Sendable {
        /// e.g. `lead.created` (names follow the seed and DESIGN §4).
        public var type: String
        public var organizationID: UUID
        /// e.g. `lead`, `conversation`, `user`.
        public var aggregateType: String
        public var aggregateID: UUID
        /// The event's data: a JSON object.
        public var payload: PostgresJSON

        /// An event whose payload is `payload` encoded as JSON.
        public init<Payload: Encodable>(
            type: String, organizationID: UUID, aggregateType: String, aggregateID: UUID, payload: Payload
        ) throws {
            self.type = type
            self.organizationID = organizationID
            self.aggregateType = aggregateType
            self.aggregateID = aggregateID
            self.payload = try PostgresJSON(encoding: payload)
        }

        /// An event whose payload is already JSON text (an object).
        public init(type: String, organizationID: UUID, aggregateType: String, aggregateID: UUID, payloadJSON: String) {
            self.type = type
            self.organizationID = organizationID
            self.aggregateType = aggregateType
            self.aggregateID = aggregateID
            self.payload = PostgresJSON(text: payloadJSON)
        }
    }

    /// Appends `event` on `connection` (call it inside the transaction of the change) and
    /// wakes the relay once that transaction is committed (``notifyAfterCommit()``). Answers
    /// the event's id.
    @discardableResult
    public static func append(_ event: Event, on connection: PostgresConnection) async throws -> UUID {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: insert + " RETURNING id"), values(event))
        notifyAfterCommit(on: connection)
        return try rows.firstRow!.decode(UUID.self, "id")
    }

    /// ``append(_:on:)`` without waiting for it: the row goes with the connection's next
    /// statement or the transaction's COMMIT (``PostgresConnection/executeLater(_:_:)``).
    public static func appendLater(_ event: Event, on connection: PostgresConnection) {
        connection.executeLater(PostgresQuery(unsafeSQL: insert), values(event))
        notifyAfterCommit(on: connection)
    }

    private static let insert = """
        INSERT INTO outbox (organization_id, event_type, aggregate_type, aggregate_id, payload)
        VALUES ($1, $2, $3, $4, $5)
        """

    /// The parameters of ``insert`` for `event`.
    private static func values(_ event: Event) -> [any PostgresEncodable] {
        [event.organizationID, event.type, event.aggregateType, event.aggregateID, event.payload]
    }

    /// Wakes the relays (`<schema>_outbox`) once the lease of `connection` is committed: for
    /// a statement that writes outbox rows itself.
    public static func notifyAfterCommit(on connection: PostgresConnection) {
        connection.notifyAfterCommit(schemaChannel: "_outbox")
    }
}
