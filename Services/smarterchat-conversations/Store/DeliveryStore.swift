import Foundation
import Postgres
import ServiceKit

/// One row of the delivery queue (`outbound_deliveries`) as the sender reads it.
struct OutboundDelivery: Sendable {
    var id: UUID
    var organizationID: UUID
    var channelID: UUID
    var conversationID: UUID
    var messageID: UUID?
    var messageCreatedAt: Date?
    /// text, template, mark_read.
    var kind: String
    var recipient: String
    var body: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(bodyJSON.utf8)) as? [String: Any]) ?? [:] }
    var bodyJSON: String
    var attempts: Int
}

/// SQL of the delivery queue: enqueue with the message, claim fairly across organizations,
/// record the intent before the provider call and the outcome after.
enum DeliveryStore {
    struct NewDelivery: Sendable {
        var organizationID: UUID
        var channelID: UUID
        var conversationID: UUID
        var messageID: UUID?
        var messageCreatedAt: Date?
        var kind: String
        var recipient: String
        var body: [String: TimelineValue]
    }

    /// How long a delivery queued for its caller to send at once (``enqueue(_:sendingNow:on:)``)
    /// stays the caller's: a caller that dies before recording the send intent leaves a
    /// pending row that any delivery worker takes once this passes, and sends once.
    static let immediateSendHold = 30

    /// Queues a delivery (call it in the transaction that stores the message). With
    /// `sendingNow` the row is held for the caller (pending, due only after
    /// ``immediateSendHold`` seconds) unless an earlier delivery of the conversation is still
    /// open (a conversation's messages go out in order): once the transaction commits, the
    /// caller records the send intent (``markSending(_:on:)``) and sends it. Answers whether
    /// it is held for the caller.
    @discardableResult
    static func enqueue(
        _ delivery: NewDelivery, sendingNow: Bool = false, on connection: PostgresConnection
    ) async throws -> (id: UUID, sending: Bool) {
        let rows = try await connection.query(
            """
            INSERT INTO outbound_deliveries (organization_id, channel_id, conversation_id, message_id,
                                             message_created_at, kind, recipient, body, next_attempt_at)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8,
                   CURRENT_TIMESTAMP + CASE WHEN s.held THEN make_interval(secs => $10::int) ELSE interval '0' END
            FROM (SELECT $9::bool AND NOT EXISTS (
                             SELECT 1 FROM outbound_deliveries e
                             WHERE e.conversation_id = $3 AND e.status IN ('pending', 'sending')) AS held) s
            RETURNING id, next_attempt_at > CURRENT_TIMESTAMP AS held
            """,
            [
                delivery.organizationID, delivery.channelID, delivery.conversationID, delivery.messageID,
                delivery.messageCreatedAt, delivery.kind, delivery.recipient, try PostgresJSON(encoding: delivery.body),
                sendingNow, immediateSendHold,
            ])
        let row = rows.firstRow!
        let held = try row.decode(Bool.self, "held")
        // Pending and due: any replica's delivery worker may take it (one held, its caller sends).
        if !held { WorkNotifications.queued(.delivery, on: connection) }
        return (try row.decode(UUID.self, "id"), held)
    }

    /// How long until the first pending delivery falls due (its `next_attempt_at`: a retry, or
    /// a send postponed by a rate limit), by the database's clock; negative when one is due
    /// already, nil when none is pending (of `organizationID` only, in tests).
    static func untilNextDue(organizationID: UUID? = nil, on connection: PostgresConnection) async throws -> Duration? {
        let rows = try await connection.query(
            """
            SELECT extract(epoch FROM min(next_attempt_at) - clock_timestamp())::float8 AS seconds
            FROM outbound_deliveries
            WHERE status = 'pending' AND ($1::uuid IS NULL OR organization_id = $1)
            """, [organizationID])
        return try rows.first?.decode(Double?.self, "seconds").map { .seconds($0) }
    }

    /// Due pending deliveries, at most `perOrganization` of each organization (oldest first)
    /// and only the oldest open one of each conversation,
    /// locked for this transaction (SKIP LOCKED: other replicas take others). Taking a few of
    /// every organization is what keeps one tenant's burst from delaying another's.
    static func claimDue(
        perOrganization: Int, total: Int, organizationID: UUID? = nil, on connection: PostgresConnection
    ) async throws
        -> [OutboundDelivery]
    {
        let rows = try await connection.query(
            """
            SELECT d.id, d.organization_id, d.channel_id, d.conversation_id, d.message_id, d.message_created_at,
                   d.kind, d.recipient, d.body::text AS body, d.attempts
            FROM outbound_deliveries d
            WHERE d.id IN (
                SELECT id FROM (
                    SELECT id, row_number() OVER (PARTITION BY organization_id ORDER BY next_attempt_at, seq) AS n
                    FROM outbound_deliveries o
                    WHERE status = 'pending' AND next_attempt_at <= CURRENT_TIMESTAMP
                      AND ($3::uuid IS NULL OR organization_id = $3)
                      -- A conversation's messages go out one at a time, in order.
                      AND NOT EXISTS (
                          SELECT 1 FROM outbound_deliveries e
                          WHERE e.conversation_id = o.conversation_id AND e.status IN ('pending', 'sending')
                            AND e.seq < o.seq)
                ) ranked
                WHERE n <= $1)
            ORDER BY d.next_attempt_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
            """, [perOrganization, total, organizationID])
        return try rows.map { row in
            OutboundDelivery(
                id: try row.decode(UUID.self, "id"), organizationID: try row.decode(UUID.self, "organization_id"),
                channelID: try row.decode(UUID.self, "channel_id"),
                conversationID: try row.decode(UUID.self, "conversation_id"),
                messageID: try row.decode(UUID?.self, "message_id"),
                messageCreatedAt: try row.decode(Date?.self, "message_created_at"),
                kind: try row.decode(String.self, "kind"), recipient: try row.decode(String.self, "recipient"),
                bodyJSON: try row.decode(String.self, "body"), attempts: try row.decode(Int.self, "attempts"))
        }
    }

    /// The send intent: recorded (and committed) before the provider is called. Only a
    /// pending row becomes `sending`: answers false when another worker took it first.
    static func markSending(_ id: UUID, on connection: PostgresConnection) async throws -> Bool {
        try await connection.execute(
            """
            UPDATE outbound_deliveries
            SET status = 'sending', attempts = attempts + 1, sending_started_at = CURRENT_TIMESTAMP
            WHERE id = $1 AND status = 'pending'
            """, [id]) == 1
    }

    /// Not yet: back to pending until `delay` passes (rate limit or retry backoff).
    static func postpone(_ id: UUID, by delay: Duration, error: String?, on connection: PostgresConnection) async throws
    {
        let ms = Int(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
        try await connection.execute(
            """
            UPDATE outbound_deliveries
            SET status = 'pending', next_attempt_at = CURRENT_TIMESTAMP + make_interval(secs => $2::float8 / 1000),
                last_error = COALESCE($3, last_error)
            WHERE id = $1
            """, [id, ms, error])
    }

    /// The provider accepted the message: the queue row, the message (external id, status
    /// sent, sent_at) and a `message.sent` event.
    static func markSent(
        _ delivery: OutboundDelivery, externalID: String?, on connection: PostgresConnection
    ) {
        // Both sent with the transaction's next statement or its COMMIT.
        connection.executeLater(
            """
            UPDATE outbound_deliveries SET status = 'sent', external_id = $2, last_error = NULL WHERE id = $1
            """, [delivery.id, externalID])
        guard let messageID = delivery.messageID else { return }
        connection.executeLater(
            """
            UPDATE messages
            SET status = CASE WHEN status IN ('delivered', 'read') THEN status ELSE 'sent' END,
                external_id = COALESCE($3, external_id), sent_at = CURRENT_TIMESTAMP,
                external_metadata = COALESCE(external_metadata, '{}'::jsonb) - 'error'
            WHERE id = $1 AND conversation_id = $4
              AND created_at BETWEEN $2::timestamptz - interval '1 millisecond' AND $2::timestamptz + interval '1 millisecond'
            """, [messageID, delivery.messageCreatedAt, externalID, delivery.conversationID])
    }

    /// A permanent failure (or an unknown outcome): the queue row and the message carry the
    /// reason.
    static func markFinal(
        _ delivery: OutboundDelivery, status: String, error: String, on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            "UPDATE outbound_deliveries SET status = $2, last_error = $3 WHERE id = $1", [delivery.id, status, error])
        guard let messageID = delivery.messageID else { return }
        try await connection.execute(
            """
            UPDATE messages
            SET status = $3, external_metadata = COALESCE(external_metadata, '{}'::jsonb) || jsonb_build_object('error', $4::text)
            WHERE id = $1 AND conversation_id = $5
              AND created_at BETWEEN $2::timestamptz - interval '1 millisecond' AND $2::timestamptz + interval '1 millisecond'
            """, [messageID, delivery.messageCreatedAt, status, error, delivery.conversationID])
    }

    /// Deliveries whose intent was recorded more than `lease` ago without an outcome (the
    /// process died during the provider call): marked `unknown` (docs/delivery.md).
    static func expireSending(
        lease: Duration, organizationID: UUID? = nil, on connection: PostgresConnection
    )
        async throws -> [OutboundDelivery]
    {
        let rows = try await connection.query(
            """
            SELECT id, organization_id, channel_id, conversation_id, message_id, message_created_at, kind, recipient,
                   body::text AS body, attempts
            FROM outbound_deliveries
            WHERE status = 'sending' AND sending_started_at < CURRENT_TIMESTAMP - make_interval(secs => $1::float8)
              AND ($2::uuid IS NULL OR organization_id = $2)
            FOR UPDATE SKIP LOCKED
            """, [Double(lease.components.seconds), organizationID])
        return try rows.map { row in
            OutboundDelivery(
                id: try row.decode(UUID.self, "id"), organizationID: try row.decode(UUID.self, "organization_id"),
                channelID: try row.decode(UUID.self, "channel_id"),
                conversationID: try row.decode(UUID.self, "conversation_id"),
                messageID: try row.decode(UUID?.self, "message_id"),
                messageCreatedAt: try row.decode(Date?.self, "message_created_at"),
                kind: try row.decode(String.self, "kind"), recipient: try row.decode(String.self, "recipient"),
                bodyJSON: try row.decode(String.self, "body"), attempts: try row.decode(Int.self, "attempts"))
        }
    }

    /// Queues a failed or unknown message again (an operator's explicit retry): a send the
    /// provider refused, one whose outcome is unknown, or one a status callback reported failed
    /// after accepting it (``IngestStore/applyStatus(_:channelID:on:)`` fails its row). The
    /// failed send's external id is let go, so that a late callback about it (Meta redelivers)
    /// cannot fail the new attempt.
    static func requeue(messageID: UUID, conversationID: UUID, on connection: PostgresConnection) async throws -> Bool {
        let updated = try await connection.execute(
            """
            UPDATE outbound_deliveries
            SET status = 'pending', next_attempt_at = CURRENT_TIMESTAMP, attempts = 0, last_error = NULL,
                external_id = NULL
            WHERE message_id = $1 AND conversation_id = $2 AND status IN ('failed', 'unknown')
            """, [messageID, conversationID])
        guard updated > 0 else { return false }
        try await connection.execute(
            """
            UPDATE messages SET status = 'pending', external_id = NULL,
                external_metadata = COALESCE(external_metadata, '{}'::jsonb) - 'error' - 'errors'
            WHERE id = $1 AND conversation_id = $2
            """, [messageID, conversationID])
        return true
    }

    /// Stamps read_at on the conversation's unread inbound messages and the operator's read
    /// mark; answers the newest inbound message's external id (for WhatsApp mark-as-read).
    static func markInboundRead(_ conversationID: UUID, on connection: PostgresConnection) async throws -> String? {
        try await connection.execute(
            "UPDATE conversations SET operator_read_at = CURRENT_TIMESTAMP, unread_count = 0 WHERE id = $1",
            [conversationID])
        try await connection.execute(
            """
            UPDATE messages SET read_at = CURRENT_TIMESTAMP
            WHERE conversation_id = $1 AND direction = 'inbound' AND read_at IS NULL
            """, [conversationID])
        return try await connection.query(
            """
            SELECT external_id FROM messages
            WHERE conversation_id = $1 AND direction = 'inbound' AND external_id IS NOT NULL
            ORDER BY created_at DESC LIMIT 1
            """, [conversationID]
        ).firstRow?.decode(String?.self, "external_id")
    }
}
