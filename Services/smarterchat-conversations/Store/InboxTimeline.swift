import Contracts
import Foundation
import Postgres
import ServiceKit

/// A conversation's timeline and the organization's live feed (`conversation_events`), plus
/// the outbox event that goes with a change: both written in the change's transaction.
enum InboxTimeline {
    /// Who caused a change.
    struct Actor: Sendable {
        var type: String
        var id: UUID?

        static let system = Actor(type: "system", id: nil)
        static let ai = Actor(type: "ai", id: nil)
        static func user(_ id: UUID) -> Actor { Actor(type: "user", id: id) }
    }

    private static let insert = """
        INSERT INTO conversation_events (organization_id, conversation_id, event_type, actor_type, actor_id, payload)
        VALUES ($1, $2, $3, $4, $5, $6)
        """

    /// The parameters of ``insert``.
    private static func values(
        _ eventType: String, _ organizationID: UUID, _ conversationID: UUID, _ actor: Actor,
        _ payload: [String: TimelineValue]
    ) throws -> [any PostgresEncodable] {
        [organizationID, conversationID, eventType, actor.type, actor.id, try PostgresJSON(encoding: payload)]
    }

    /// Appends a timeline row and wakes the live feed's readers at commit; answers its seq.
    @discardableResult
    static func append(
        _ eventType: String, organizationID: UUID, conversationID: UUID, actor: Actor, payload: [String: TimelineValue],
        on connection: PostgresConnection
    ) async throws -> Int64 {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: insert + " RETURNING seq"),
            try values(eventType, organizationID, conversationID, actor, payload))
        notifyFeeds(organizationID: organizationID, on: connection)
        return try rows.firstRow!.decode(Int64.self, "seq")
    }

    /// ``append(_:organizationID:conversationID:actor:payload:on:)`` without waiting for it:
    /// the row goes with the connection's next statement (or the transaction's COMMIT).
    static func appendLater(
        _ eventType: String, organizationID: UUID, conversationID: UUID, actor: Actor, payload: [String: TimelineValue],
        on connection: PostgresConnection
    ) throws {
        connection.executeLater(
            PostgresQuery(unsafeSQL: insert), try values(eventType, organizationID, conversationID, actor, payload))
        notifyFeeds(organizationID: organizationID, on: connection)
    }

    /// Wakes the organization's live feeds (`LISTEN <schema>_conversation_events`, see
    /// EventSignal) once the lease of `connection` is committed.
    static func notifyFeeds(organizationID: UUID, on connection: PostgresConnection) {
        connection.notifyAfterCommit(
            schemaChannel: "_conversation_events", payload: organizationID.lowercasedString)
    }

    /// Appends a timeline row and the outbox event `outboxType` (DESIGN §4 names) with the
    /// same payload plus the conversation's id.
    static func record(
        _ eventType: String, outbox outboxType: String?, organizationID: UUID, conversationID: UUID, actor: Actor,
        payload: [String: TimelineValue], on connection: PostgresConnection
    ) throws {
        try appendLater(
            eventType, organizationID: organizationID, conversationID: conversationID, actor: actor, payload: payload,
            on: connection)
        guard let outboxType else { return }
        var data = payload
        data["conversation_id"] = .string(conversationID.lowercasedString)
        data["actor_type"] = .string(actor.type)
        if let id = actor.id { data["actor_id"] = .string(id.lowercasedString) }
        Outbox.appendLater(
            try Outbox.Event(
                type: outboxType, organizationID: organizationID, aggregateType: "conversation",
                aggregateID: conversationID, payload: data),
            on: connection)
    }

    /// Events of one conversation after `afterSeq`, oldest first.
    static func page(
        conversationID: UUID, afterSeq: Int64, limit: Int, on connection: PostgresConnection
    )
        async throws -> [Conversations.ConversationEvent]
    {
        let rows = try await connection.query(
            """
            SELECT seq, conversation_id, event_type, actor_type, actor_id, payload::text AS payload, created_at
            FROM conversation_events
            WHERE conversation_id = $1 AND seq > $2
            ORDER BY seq
            LIMIT $3
            """, [conversationID, afterSeq, limit])
        return try rows.map { row in
            var event = Conversations.ConversationEvent()
            event.seq = try row.decode(Int64.self, "seq")
            event.conversationId = try row.decode(UUID?.self, "conversation_id")?.lowercasedString ?? ""
            event.eventType = try row.decode(String.self, "event_type")
            event.actorType = try row.decode(String.self, "actor_type")
            event.actorId = try row.decode(UUID?.self, "actor_id")?.lowercasedString ?? ""
            event.payloadJson = try row.decode(String.self, "payload")
            event.createdAt = RFC3339.string(try row.decode(Date.self, "created_at"))
            return event
        }
    }

    /// The payload of a message event, as the web chat and console streams read it.
    static func messagePayload(_ message: Conversations.InboxMessage) -> [String: TimelineValue] {
        [
            "message_id": .string(message.id), "content": .string(message.content),
            "content_type": .string(message.contentType), "sender_type": .string(message.senderType),
            "direction": .string(message.direction), "status": .string(message.status),
            "error": message.error.isEmpty ? .null : .string(message.error),
        ]
    }
}

/// A JSON value for event payloads.
enum TimelineValue: Sendable, Encodable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case strings([String])
    case null

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .strings(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}
