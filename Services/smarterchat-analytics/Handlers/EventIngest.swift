import Access
import Contracts
import Foundation
import Postgres
import RPC

/// `ConsumeEvents`: every service's outbox relay delivers its events here; each becomes one
/// `analytics_events` row (the seed's table), stored once however often it is delivered.
struct EventIngest: Sendable {
    let database: PostgresClient

    /// The services whose relays deliver events.
    static let producers: Set<String> = ["identity", "agents", "conversations", "crm", "hooks"]

    func register(on router: RPCRouter) {
        router.register(Analytics.Service.consumeEvents) { request, context in
            try ServiceCaller.require(context, from: Self.producers)
            try await consume(request.events)
            return Common.ConsumeEventsResponse()
        }
    }

    /// Stores `events` in one transaction; an event already stored (same id and time) is
    /// skipped, so a redelivered batch changes nothing. The inserts are queued and go to the
    /// server with the COMMIT, in one exchange for the whole batch (docs/operations.md,
    /// "Statements sent together"); one that fails rolls the batch back, as before.
    func consume(_ events: [Common.Event]) async throws {
        let rows = try events.map(Row.init)
        try await database.withTransaction { connection in
            for row in rows {
                connection.executeLater(
                    """
                    INSERT INTO analytics_events
                        (id, organization_id, event_type, event_data, agent_id, user_id, conversation_id, lead_id,
                         created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz)
                    ON CONFLICT (id, created_at) DO NOTHING
                    """,
                    [
                        row.id, row.organizationID, row.type, row.data, row.agentID, row.userID, row.conversationID,
                        row.leadID, row.occurredAt,
                    ])
            }
        }
    }

    /// One event as the columns of `analytics_events`.
    struct Row {
        /// The payload's keys that carry what a person wrote (a message event's `content`).
        /// Analytics counts and times events and never reads them; keeping them would keep
        /// the text after conversations deletes the message under its organization's
        /// retention, in a table nothing purges.
        static let textKeys: Set<String> = ["content"]

        /// `payload` without ``textKeys`` (unchanged when it has none).
        static func withoutText(_ object: [String: Any], payload: String) throws -> String {
            guard !textKeys.isDisjoint(with: object.keys) else { return payload }
            let kept = object.filter { !textKeys.contains($0.key) }
            return String(
                decoding: try JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys]), as: UTF8.self)
        }

        var id: UUID
        var organizationID: UUID
        var type: String
        var data: PostgresJSON
        var agentID: UUID?
        var userID: UUID?
        var conversationID: UUID?
        var leadID: UUID?
        var occurredAt: String

        /// INVALID_ARGUMENT when the event's ids, time or payload are malformed.
        init(_ event: Common.Event) throws {
            guard let id = UUID(canonicalText: event.id),
                let organizationID = UUID(canonicalText: event.organizationId),
                !event.type.isEmpty, event.type.utf8.count <= 100, !event.occurredAt.isEmpty
            else { throw RPCError(.invalidArgument, "malformed event \(event.id)") }
            let payload = event.payloadJson.isEmpty ? "{}" : event.payloadJson
            guard
                let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
            else { throw RPCError(.invalidArgument, "event \(event.id) has a payload that is not a JSON object") }
            self.id = id
            self.organizationID = organizationID
            self.type = event.type
            self.data = try PostgresJSON(text: Self.withoutText(object, payload: payload))
            self.occurredAt = event.occurredAt
            func reference(_ key: String, aggregate: String) -> UUID? {
                if let value = object[key] as? String, let uuid = UUID(canonicalText: value) { return uuid }
                return event.aggregateType == aggregate ? UUID(canonicalText: event.aggregateId) : nil
            }
            agentID = reference("agent_id", aggregate: "agent")
            userID = reference("user_id", aggregate: "user")
            conversationID = reference("conversation_id", aggregate: "conversation")
            leadID = reference("lead_id", aggregate: "lead")
        }
    }
}
