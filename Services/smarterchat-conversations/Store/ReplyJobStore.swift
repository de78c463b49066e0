import Foundation
import Postgres

/// A claimed reply job.
struct ReplyJob: Sendable {
    var id: UUID
    var organizationID: UUID
    var conversationID: UUID
    var triggerMessageID: UUID
    var attempts: Int
}

/// What the reply worker reads of a conversation before asking agents.
struct ReplyContext: Sendable {
    var status: String
    var mode: String
    var agentID: UUID?
    var leadID: UUID?
    var channelType: String
    var contactName: String
    var aiMessageCount: Int
    var overPlanLimit: Bool
    /// Another pending job of the conversation exists (a newer message asked for the reply
    /// this one would give).
    var superseded: Bool
    var history: [(senderType: String, content: String, contentType: String, createdAt: Date)]
}

/// SQL of reply jobs (0002's reply_jobs): claim with SKIP LOCKED, finish, retry.
enum ReplyJobStore {
    /// How long a claimed job is the claimer's; a job left running longer (its worker died)
    /// is taken again.
    static let lease = "2 minutes"

    /// Claims up to `limit` due jobs (run it outside a transaction: it is one).
    ///
    /// Its commit is asynchronous (`synchronous_commit` off for this statement's own
    /// transaction): it does not wait for the WAL flush, a wait of a fraction of a
    /// millisecond to hundreds of milliseconds on a slow disk that every reply paid before
    /// asking agents. A claim lost to a database crash only makes the job due again, which is
    /// the state it was in; the reply's own transaction commits synchronously, and it flushes
    /// the claim with it.
    static func claim(
        limit: Int, organizationID: UUID? = nil, on connection: PostgresConnection
    ) async throws
        -> [ReplyJob]
    {
        let rows = try await connection.query(
            """
            WITH asynchronous AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
            UPDATE reply_jobs
            SET status = 'running', attempts = attempts + 1, locked_until = CURRENT_TIMESTAMP + interval '2 minutes',
                started_at = clock_timestamp(), finished_at = NULL
            FROM asynchronous
            WHERE id IN (
                SELECT id FROM reply_jobs
                WHERE ((status = 'pending' AND run_after <= CURRENT_TIMESTAMP)
                       OR (status = 'running' AND locked_until < CURRENT_TIMESTAMP))
                  AND ($2::uuid IS NULL OR organization_id = $2)
                ORDER BY run_after
                LIMIT $1
                FOR UPDATE SKIP LOCKED)
            RETURNING id, organization_id, conversation_id, trigger_message_id, attempts
            """, [limit, organizationID])
        return try rows.map {
            ReplyJob(
                id: try $0.decode(UUID.self, "id"), organizationID: try $0.decode(UUID.self, "organization_id"),
                conversationID: try $0.decode(UUID.self, "conversation_id"),
                triggerMessageID: try $0.decode(UUID.self, "trigger_message_id"),
                attempts: try $0.decode(Int.self, "attempts"))
        }
    }

    /// How long until a job falls due: the first pending job's `run_after` or the first running
    /// job's lease end (its worker died), by the database's clock; negative when one is due
    /// already, nil when no job is pending or running (of `organizationID` only, in tests).
    static func untilNextDue(organizationID: UUID? = nil, on connection: PostgresConnection) async throws -> Duration? {
        let rows = try await connection.query(
            """
            SELECT extract(epoch FROM least(
                (SELECT min(run_after) FROM reply_jobs
                 WHERE status = 'pending' AND ($1::uuid IS NULL OR organization_id = $1)),
                (SELECT min(locked_until) FROM reply_jobs
                 WHERE status = 'running' AND ($1::uuid IS NULL OR organization_id = $1))
            ) - clock_timestamp())::float8 AS seconds
            """, [organizationID])
        return try rows.first?.decode(Double?.self, "seconds").map { .seconds($0) }
    }

    /// Ends a job: status done/skipped/failed with its result.
    static func finish(
        _ id: UUID, status: String, result: String, error: String? = nil, on connection: PostgresConnection
    ) {
        // Sent with the transaction's COMMIT (or its next statement).
        connection.executeLater(
            """
            UPDATE reply_jobs SET status = $2, result = $3, last_error = $4, locked_until = NULL,
                finished_at = clock_timestamp()
            WHERE id = $1
            """, [id, status, result, error.map { String($0.prefix(500)) }])
    }

    /// Ends a job that wrote nothing else (skipped, no agent, no reply, given up): the same
    /// as ``finish(_:status:result:error:on:)`` as its own transaction, committed
    /// asynchronously like ``claim(limit:organizationID:on:)`` (run it outside a
    /// transaction: `set_config(…, true)` would make the caller's whole transaction
    /// asynchronous). A mark lost to a database crash leaves the job running until its lease
    /// ends; it is then claimed again and ends the same way, with nothing sent.
    static func finishAlone(
        _ id: UUID, status: String, result: String, error: String? = nil, on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            """
            WITH asynchronous AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
            UPDATE reply_jobs SET status = $2, result = $3, last_error = $4, locked_until = NULL,
                finished_at = clock_timestamp()
            FROM asynchronous
            WHERE id = $1
            """, [id, status, result, error.map { String($0.prefix(500)) }])
    }

    /// Puts a job back for a later attempt.
    static func retry(
        _ id: UUID, afterSeconds seconds: Int, error: String, on connection: PostgresConnection
    )
        async throws
    {
        try await connection.execute(
            """
            UPDATE reply_jobs
            SET status = 'pending', run_after = CURRENT_TIMESTAMP + make_interval(secs => $2::float8), last_error = $3,
                locked_until = NULL
            WHERE id = $1
            """, [id, seconds, String(error.prefix(500))])
    }

    /// The conversation and its last `historyLimit` messages, newest first: one statement
    /// (a row per message, the conversation's columns on each; one row with no message
    /// columns when it has none). The conversation's part is materialized so that whether a
    /// newer job superseded this one is asked once, not once per message of the history (a
    /// subquery in the select list runs for every row). The history's length is a literal
    /// of the text: with `LIMIT $4` PostgreSQL kept planning the statement on every execution
    /// (0.3–1.7 ms each, more than running it), as a generic plan of a parameterised LIMIT is
    /// costed for a tenth of the table.
    static func context(
        _ job: ReplyJob, historyLimit: Int, on connection: PostgresConnection
    ) async throws
        -> ReplyContext?
    {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH c AS MATERIALIZED (
                        SELECT c.id, c.status, c.mode, c.agent_id, c.lead_id, ch.type AS channel_type, c.contact_name,
                               COALESCE(c.ai_message_count, 0) AS ai_message_count, c.over_plan_limit,
                               EXISTS (SELECT 1 FROM reply_jobs j
                                       WHERE j.conversation_id = c.id AND j.status = 'pending' AND j.id <> $3) AS superseded
                        FROM conversations c JOIN channels ch ON ch.id = c.channel_id
                        WHERE c.id = $1 AND c.organization_id = $2)
                    SELECT c.status, c.mode, c.agent_id, c.lead_id, c.channel_type, c.contact_name, c.ai_message_count,
                           c.over_plan_limit, c.superseded, h.sender_type, h.content, h.content_type, h.created_at
                    FROM c LEFT JOIN LATERAL (
                        SELECT m.sender_type, m.content, COALESCE(m.content_type, 'text') AS content_type, m.created_at, m.id
                        FROM messages m WHERE m.conversation_id = c.id
                        ORDER BY m.created_at DESC, m.id DESC LIMIT \(historyLimit)) h ON TRUE
                    ORDER BY h.created_at DESC, h.id DESC
                    """), [job.conversationID, job.organizationID, job.id])
        guard let row = rows.firstRow else { return nil }
        var history: [(senderType: String, content: String, contentType: String, createdAt: Date)] = []
        for message in rows {
            guard let senderType = try message.decode(String?.self, "sender_type") else { continue }
            history.append(
                (
                    senderType, try message.decode(String.self, "content"),
                    try message.decode(String.self, "content_type"), try message.decode(Date.self, "created_at")
                ))
        }
        return ReplyContext(
            status: try row.decode(String.self, "status"), mode: try row.decode(String.self, "mode"),
            agentID: try row.decode(UUID?.self, "agent_id"), leadID: try row.decode(UUID?.self, "lead_id"),
            channelType: try row.decode(String.self, "channel_type"),
            contactName: try row.decode(String?.self, "contact_name") ?? "",
            aiMessageCount: try row.decode(Int.self, "ai_message_count"),
            overPlanLimit: try row.decode(Bool.self, "over_plan_limit"),
            superseded: try row.decode(Bool.self, "superseded"), history: history)
    }

    /// The next assignee after the organization's cursor among `candidates` (ordered by id),
    /// moving the cursor; nil when there is nobody.
    static func nextAssignee(
        organizationID: UUID, candidates: [UUID], on connection: PostgresConnection
    ) async throws
        -> UUID?
    {
        guard !candidates.isEmpty else { return nil }
        let ordered = candidates.sorted { $0.lowercasedString < $1.lowercasedString }
        // The row exists before it is locked, so concurrent handoffs queue on it (the nil
        // UUID sorts before every user id: the first pick is the first user).
        try await connection.execute(
            """
            INSERT INTO assignment_cursors (organization_id, last_user_id)
            VALUES ($1, '00000000-0000-0000-0000-000000000000') ON CONFLICT (organization_id) DO NOTHING
            """, [organizationID])
        let last = try await connection.query(
            "SELECT last_user_id FROM assignment_cursors WHERE organization_id = $1 FOR UPDATE", [organizationID]
        ).firstRow?.decode(UUID.self, "last_user_id")
        let next =
            last.flatMap { last in ordered.first { $0.lowercasedString > last.lowercasedString } }
            ?? ordered[0]
        try await connection.execute(
            """
            INSERT INTO assignment_cursors (organization_id, last_user_id) VALUES ($1, $2)
            ON CONFLICT (organization_id) DO UPDATE SET last_user_id = $2, updated_at = CURRENT_TIMESTAMP
            """, [organizationID, next])
        return next
    }
}
