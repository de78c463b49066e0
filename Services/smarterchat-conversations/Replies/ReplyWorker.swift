import Contracts
import Foundation
import Logging
import Postgres
import RPC
import ServiceKit
import ServiceLifecycle
import Synchronization

/// Takes due reply jobs (`FOR UPDATE SKIP LOCKED`), asks agents for the reply
/// (`GenerateReply`), stores the AI message and queues its delivery, and applies a handoff
/// the agent decided. A job whose worker died is taken again after its lease; the reply is
/// stored and queued in one transaction with the job's end, so it is neither lost nor
/// generated twice once committed.
final class ReplyWorker: Service, Sendable {
    let database: PostgresClient
    let agents: any RPCCaller
    let identity: any RPCCaller
    /// nil in tests, which drive the worker by hand.
    let state: ServiceState?
    let logger: Logger
    let wakeup: Wakeup
    let deliveryWakeup: Wakeup
    /// Sends a reply straight after its transaction when it can go out at once (nil: every
    /// reply waits for the delivery worker's next pass).
    let sender: DeliveryWorker?
    /// Jobs handled at once: a window, refilled as each job ends (a slow reply holds one slot,
    /// not the batch it was claimed with).
    let concurrency: Int
    /// How soon a busy worker looks again for jobs nothing signalled (another process's, or
    /// ones it could not take).
    let pollInterval: Duration
    /// The longest an idle worker sleeps when no job is due sooner (see ``run()``).
    let idleInterval: Duration
    /// Takes only this organization's jobs (tests, which share one database); nil: all.
    let organization: UUID?
    let generateTimeout: Duration
    /// Jobs of ``run()`` in flight.
    private let inFlight = Mutex(0)
    /// Each organization's time zone (for the agent's prompt), remembered a minute: identity
    /// is asked for the assignable users only when a reply hands the conversation over.
    private let timeZones = Mutex<[UUID: (zone: String, expires: ContinuousClock.Instant)]>([:])
    static let timeZoneLifetime: Duration = .seconds(60)

    init(
        database: PostgresClient, agents: any RPCCaller, identity: any RPCCaller, state: ServiceState?, logger: Logger,
        wakeup: Wakeup, deliveryWakeup: Wakeup, sender: DeliveryWorker? = nil, concurrency: Int = 8,
        pollInterval: Duration = .milliseconds(250), idleInterval: Duration = .seconds(5),
        generateTimeout: Duration = .seconds(60), organization: UUID? = nil
    ) {
        self.database = database
        self.agents = agents
        self.identity = identity
        self.state = state
        self.logger = logger
        self.wakeup = wakeup
        self.deliveryWakeup = deliveryWakeup
        self.sender = sender
        self.concurrency = concurrency
        self.pollInterval = pollInterval
        self.idleInterval = idleInterval
        self.organization = organization
        self.generateTimeout = generateTimeout
    }

    /// Claims jobs into free slots whenever ingest signals new ones, a job ends with the
    /// window full, or its wait ends: ``pollInterval`` while work comes in; once a wait ran out
    /// with nothing to take, until the next job falls due (a retry, an expired lease), at most
    /// ``idleInterval``, so that an idle replica does not query the database every poll.
    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            try await self.state?.waitUntilMigrated()
            await withDiscardingTaskGroup { group in
                // Whether the last wait ran out with nothing signalled.
                var idle = true
                while !Task.isCancelled {
                    let free = self.concurrency - self.inFlight.withLock { $0 }
                    var jobs: [ReplyJob] = []
                    if free > 0 { jobs = await self.claim(limit: free, organizationID: self.organization) }
                    if !jobs.isEmpty { idle = false }
                    self.inFlight.withLock { $0 += jobs.count }
                    for job in jobs {
                        group.addTask {
                            let claimed = await self.process(job)
                            let wasFull = self.inFlight.withLock { count in
                                count -= 1
                                return count + 1 >= self.concurrency
                            }
                            if wasFull { self.wakeup.signal() }
                            // The send holds the delivery worker's slot of the organization,
                            // not this window's.
                            if let claimed { await self.sender?.send(claimed) }
                        }
                    }
                    if jobs.count < free || free <= 0 {
                        let timeout = idle && free > 0 ? await self.idleTimeout() : self.pollInterval
                        idle = await !self.wakeup.wait(timeout: timeout)
                    }
                }
            }
        }
    }

    /// How long the worker sleeps after finding nothing while idle (``Wakeup/idleTimeout``).
    private func idleTimeout() async -> Duration {
        let organization = self.organization
        return await Wakeup.idleTimeout(
            database: database, logger: logger, poll: pollInterval, minimum: .milliseconds(10), maximum: idleInterval
        ) { try await ReplyJobStore.untilNextDue(organizationID: organization, on: $0) }
    }

    /// Claims and handles one batch (of one organization's jobs in tests); answers how many
    /// jobs it took.
    @discardableResult
    func runOnce(organizationID: UUID? = nil) async -> Int {
        let jobs = await claim(limit: concurrency, organizationID: organizationID)
        await withTaskGroup(of: Void.self) { group in
            for job in jobs {
                group.addTask {
                    if let claimed = await self.process(job) { await self.sender?.send(claimed) }
                }
            }
        }
        return jobs.count
    }

    private func claim(limit: Int, organizationID: UUID?) async -> [ReplyJob] {
        do {
            // One statement (atomic on its own): no BEGIN/COMMIT round trips around it, and
            // committed asynchronously (ReplyJobStore.claim says why that is safe).
            return try await database.withConnection {
                try await ReplyJobStore.claim(limit: limit, organizationID: organizationID, on: $0)
            }
        } catch {
            logger.warning("reply job claim failed", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// One claimed job; an error puts it back for a later attempt. Answers the reply's
    /// delivery when this transaction claimed it, to be sent now.
    private func process(_ job: ReplyJob) async -> DeliveryWorker.Claimed? {
        do {
            return try await handle(job)
        } catch {
            logger.warning("reply job failed", metadata: ["reply_job.id": "\(job.id)", "error": "\(error)"])
            // Retried with a growing delay, then given up (a reply minutes late is no reply).
            try? await database.withConnection { connection in
                if job.attempts >= 5 {
                    try await ReplyJobStore.finishAlone(
                        job.id, status: "failed", result: "failed", error: "\(error)", on: connection)
                } else {
                    try await ReplyJobStore.retry(
                        job.id, afterSeconds: 5 * job.attempts, error: "\(error)", on: connection)
                }
            }
            return nil
        }
    }

    /// One job, from the conversation's state to the stored reply; answers the reply's
    /// delivery when it is to be sent at once.
    @discardableResult
    func handle(_ job: ReplyJob) async throws -> DeliveryWorker.Claimed? {
        let context = try await database.withConnection { connection in
            try await ReplyJobStore.context(job, historyLimit: 30, on: connection)
        }
        guard let context else { return try await finish(job, "skipped", "conversation_gone") }
        if context.superseded { return try await finish(job, "skipped", "superseded") }
        guard context.status == "active" || context.status == "waiting" else {
            return try await finish(job, "skipped", "closed")
        }
        guard LockedConversation.aiAnswering.contains(context.mode) else {
            return try await finish(job, "skipped", "human_mode")
        }
        guard !context.overPlanLimit else { return try await finish(job, "skipped", "over_plan_limit") }
        guard let agentID = context.agentID else { return try await finish(job, "done", "no_agent") }

        let timeZone = await timeZone(of: job.organizationID, requestID: "reply-\(job.id)")
        let request = Agents.GenerateReplyRequest(
            organizationId: job.organizationID.lowercasedString, agentId: agentID.lowercasedString,
            conversationId: job.conversationID.lowercasedString,
            leadId: context.leadID?.lowercasedString ?? "", channelType: context.channelType,
            contactName: context.contactName,
            history: context.history.map {
                Agents.ConversationTurn(
                    senderType: $0.senderType, content: $0.content, messageType: $0.contentType,
                    createdAt: RFC3339.string($0.createdAt))
            },
            aiTurns: Int32(clamping: context.aiMessageCount),
            timeZone: timeZone)
        let reply: Agents.GenerateReplyResponse
        do {
            reply = try await agents.call(
                Agents.Service.generateReply, request,
                metadata: CallMetadata(requestID: "reply-\(job.id)", caller: "conversations"), timeout: generateTimeout)
        } catch let error as RPCError where [.unimplemented, .unavailable, .notFound].contains(error.code) {
            // No agent answers (agents not deployed, or the agent is gone): recorded, not retried.
            return try await finish(job, "done", "no_agent", error: error.message)
        } catch let error as RPCError where job.attempts < 3 {
            try await database.withConnection {
                try await ReplyJobStore.retry(job.id, afterSeconds: 5 * job.attempts, error: error.message, on: $0)
            }
            return nil
        } catch let error as RPCError {
            return try await finish(job, "failed", "failed", error: error.message)
        }
        // Who may take the conversation is read only when it is handed over, and then fresh.
        let directory =
            reply.handoff
            ? await directory(of: job.organizationID, requestID: "reply-\(job.id)")
            : Identity.ListAssignableUsersResponse()
        return try await apply(
            reply, to: job, assignable: directory.users,
            resumeAfterMinutes: directory.returnToAiAfterMinutes > 0 ? Int(directory.returnToAiAfterMinutes) : nil)
    }

    /// The organization's time zone, from identity at most once a minute; São Paulo when
    /// identity does not say.
    func timeZone(of organizationID: UUID, requestID: String) async -> String {
        let now = ContinuousClock.now
        if let cached = timeZones.withLock({ $0[organizationID] }), cached.expires > now { return cached.zone }
        _ = await directory(of: organizationID, requestID: requestID)
        return timeZones.withLock { $0[organizationID]?.zone } ?? "America/Sao_Paulo"
    }

    /// The organization's assignable users and settings now (identity `ListAssignableUsers`);
    /// refreshes the remembered time zone on the way.
    func directory(of organizationID: UUID, requestID: String) async -> Identity.ListAssignableUsersResponse {
        let directory = await InboxDirectory.assignableUsers(
            identity: identity, organizationID: organizationID, requestID: requestID)
        if !directory.timeZone.isEmpty {
            let expires = ContinuousClock.now + Self.timeZoneLifetime
            timeZones.withLock { $0[organizationID] = (directory.timeZone, expires) }
        }
        return directory
    }

    /// Stores the reply, its handoff and its tags in one transaction with the job's end.
    /// Answers the reply's delivery when that transaction also held it for this process
    /// (``sender`` set, and the reply can go out at once): the caller sends it. A handoff
    /// starts the return-to-AI clock when `resumeAfterMinutes` is set.
    @discardableResult
    func apply(
        _ reply: Agents.GenerateReplyResponse, to job: ReplyJob, assignable: [Identity.AssignableUser],
        resumeAfterMinutes: Int? = nil
    )
        async throws -> DeliveryWorker.Claimed?
    {
        // A reply that writes nothing but the job's end (the agent did not answer: not
        // published, auto-response off, nothing to say) needs neither the conversation's lock
        // nor a transaction of its own.
        guard Self.writes(reply) else {
            let failed = reply.outcome == .failed
            return try await finish(
                job, failed ? "failed" : "done", failed ? "failed" : "no_reply",
                error: reply.detail.isEmpty ? nil : reply.detail)
        }
        var claimed: DeliveryWorker.Claimed?
        var queued = false
        do {
            queued = try await transaction(
                applying: reply, to: job, assignable: assignable, resumeAfterMinutes: resumeAfterMinutes,
                claimed: &claimed)
        } catch {
            if let claimed { sender?.abandon(organizationID: claimed.delivery.organizationID) }
            throw error
        }
        // The delivery worker is woken only for a delivery it has to send.
        if queued, claimed == nil { deliveryWakeup.signal() }
        return claimed
    }

    /// Whether applying `reply` changes anything but its job: a message to send, tags, a
    /// handoff or a close.
    static func writes(_ reply: Agents.GenerateReplyResponse) -> Bool {
        (reply.outcome == .replied && !reply.content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            || reply.tags.contains { !$0.isEmpty } || reply.handoff || reply.closeConversation
    }

    /// Answers whether a delivery was queued (its intent recorded in `claimed` when it is
    /// sent at once).
    private func transaction(
        applying reply: Agents.GenerateReplyResponse, to job: ReplyJob, assignable: [Identity.AssignableUser],
        resumeAfterMinutes: Int?, claimed: inout DeliveryWorker.Claimed?
    ) async throws -> Bool {
        var queued = false
        try await database.withTransaction { connection in
            guard
                var state = try await LifecycleStore.lock(
                    job.conversationID, organizationID: job.organizationID, on: connection)
            else {
                return ReplyJobStore.finish(
                    job.id, status: "skipped", result: "conversation_gone", on: connection)
            }
            // An operator took over (or closed) while the agent was thinking: the AI stays quiet.
            guard state.isOpen, state.aiAnswers else {
                return ReplyJobStore.finish(
                    job.id, status: "skipped", result: state.isOpen ? "human_mode" : "closed", on: connection)
            }
            var result = "no_reply"
            let content = Self.fit(reply.content, channelType: state.channelType)
            if reply.outcome == .replied, !content.isEmpty {
                do {
                    try ChannelRules.check(
                        .text(content), channelType: state.channelType,
                        lastContactMessageAt: state.lastContactMessageAt, byOperator: false)
                    claimed =
                        try await OutboundMessages.queue(
                            ChannelRules.Content.text(content), in: state, senderType: "ai", senderID: UUID?.none,
                            ai: Self.generated(reply), sendNow: sender, on: connection
                        ).claimed
                    queued = true
                    result = "replied"
                } catch let error as RPCError where error.code == .failedPrecondition {
                    result = "window_closed"
                }
            } else if reply.outcome == .failed {
                result = "failed"
            }
            if !reply.tags.isEmpty {
                var tags = state.tags
                for tag in reply.tags where !tag.isEmpty && tag.count <= 50 && !tags.contains(tag) && tags.count < 20 {
                    tags.append(tag)
                }
                if tags != state.tags {
                    state.tags = tags
                    try await LifecycleStore.save(state, assignedNow: false, on: connection)
                }
            }
            if reply.handoff {
                try await HandoffAssignment.handOff(
                    &state, reason: reply.handoffReason.isEmpty ? "agent_decided" : reply.handoffReason,
                    assignable: assignable, resumeAfterMinutes: resumeAfterMinutes, on: connection)
                result = result == "replied" ? "replied_handoff" : "handoff"
            } else if reply.closeConversation {
                state.status = "closed"
                try await LifecycleStore.save(state, assignedNow: false, on: connection)
                try InboxTimeline.record(
                    "conversation.closed", outbox: "conversation.closed", organizationID: state.organizationID,
                    conversationID: state.id, actor: .ai, payload: ["from": .string("active")], on: connection)
            }
            ReplyJobStore.finish(
                job.id, status: reply.outcome == .failed ? "failed" : "done", result: result,
                error: reply.detail.isEmpty ? nil : reply.detail, on: connection)
        }
        return queued
    }

    private func finish(
        _ job: ReplyJob, _ status: String, _ result: String, error: String? = nil
    ) async throws -> DeliveryWorker.Claimed? {
        try await database.withConnection {
            try await ReplyJobStore.finishAlone(job.id, status: status, result: result, error: error, on: $0)
        }
        return nil
    }

    /// The AI columns of the message.
    static func generated(_ reply: Agents.GenerateReplyResponse) -> InboxMessageStore.GeneratedReply {
        let entities: PostgresJSON =
            (try? JSONSerialization.jsonObject(with: Data(reply.entitiesJson.utf8))) is [String: Any]
            ? PostgresJSON(text: reply.entitiesJson) : PostgresJSON(text: "{}")
        return InboxMessageStore.GeneratedReply(
            model: String((reply.offline ? "offline" : reply.model).prefix(50)),
            confidence: reply.intent.isEmpty && reply.confidence == 0 ? nil : reply.confidence,
            processingTimeMs: Int(reply.processingTimeMs), promptTokens: Int(reply.promptTokens),
            completionTokens: Int(reply.completionTokens),
            intent: reply.intent.isEmpty ? nil : String(reply.intent.prefix(100)), entities: entities)
    }

    /// The reply cut to what the channel accepts (Instagram 1000 bytes, others 4096 characters).
    static func fit(_ text: String, channelType: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if channelType == "instagram" {
            guard trimmed.utf8.count > 1000 else { return trimmed }
            var cut = ""
            for character in trimmed {
                if cut.utf8.count + String(character).utf8.count > 997 { break }
                cut.append(character)
            }
            return cut + "…"
        }
        return trimmed.count > 4096 ? String(trimmed.prefix(4095)) + "…" : trimmed
    }
}
