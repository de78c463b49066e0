import Access
import Contracts
import Foundation
import Postgres
import RPC
import ServiceKit

/// TakeOverConversation, HandBackConversation, TransferConversation, CloseConversation,
/// ReopenConversation, UpdateConversation, MarkConversationRead (conversations:write). Each
/// change is a timeline row and an outbox event, in the change's transaction.
extension InboxHandlers {
    /// Locks the caller's conversation, runs `change` and answers the conversation after it.
    func change(
        _ conversationID: String, _ context: RPCContext,
        _ body: @Sendable (PostgresConnection, inout LockedConversation, AuthenticatedCaller) async throws -> Void
    ) async throws -> Conversations.InboxConversation {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsWrite)
        let id = try Self.conversationID(conversationID)
        try await database.withTransaction { connection in
            guard var state = try await LifecycleStore.lock(id, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "conversation not found") }
            try await body(connection, &state, caller)
        }
        wakeup.signal()
        return try await presentOne(id, organizationID: caller.organizationID, context: context)
    }

    func takeOver(
        _ request: Conversations.ConversationRequest, _ context: RPCContext
    ) async throws
        -> Conversations.InboxConversation
    {
        let resume = await settings.resumeAfterMinutes(context: context)
        return try await change(request.conversationId, context) { connection, state, caller in
            guard state.isOpen else {
                throw RPCError(.failedPrecondition, "the conversation is \(state.status); reopen it first")
            }
            try await Self.takeOver(&state, by: caller.userID, resume: resume, on: connection)
        }
    }

    /// Mode human, assigned to `userID`, waiting → active; AI replies skipped.
    static func takeOver(
        _ state: inout LockedConversation, by userID: UUID, resume: Int?, on connection: PostgresConnection
    )
        async throws
    {
        let previousMode = state.mode, previousAssignee = state.assignedToUserID
        state.mode = "human"
        state.assignedToUserID = userID
        if state.status == "waiting" { state.status = "active" }
        let assigned = previousAssignee != userID
        try await LifecycleStore.save(state, assignedNow: assigned, on: connection)
        try await LifecycleStore.touchOperatorActivity(state.id, resumeAfterMinutes: resume, on: connection)
        try await LifecycleStore.skipPendingReplies(state.id, result: "human_mode", on: connection)
        if previousMode != "human" {
            try InboxTimeline.record(
                "mode_changed", outbox: "conversation.handoff", organizationID: state.organizationID,
                conversationID: state.id, actor: .user(userID),
                payload: [
                    "from": .string(previousMode), "to": .string("human"), "reason": .string("operator_took_over"),
                ], on: connection)
        }
        if assigned {
            try InboxTimeline.record(
                "assigned", outbox: "conversation.assigned", organizationID: state.organizationID,
                conversationID: state.id, actor: .user(userID),
                payload: [
                    "from_user_id": previousAssignee.map { .string($0.lowercasedString) } ?? .null,
                    "to_user_id": .string(userID.lowercasedString),
                ], on: connection)
        }
    }

    func handBack(
        _ request: Conversations.ConversationRequest, _ context: RPCContext
    ) async throws
        -> Conversations.InboxConversation
    {
        try await change(request.conversationId, context) { connection, state, caller in
            guard state.isOpen else {
                throw RPCError(.failedPrecondition, "the conversation is \(state.status); reopen it first")
            }
            try await Self.handBack(&state, by: caller.userID, on: connection)
        }
    }

    /// Mode ai, status active.
    static func handBack(
        _ state: inout LockedConversation, by userID: UUID, on connection: PostgresConnection
    )
        async throws
    {
        guard state.mode != "ai" else { return }
        let previous = state.mode
        state.mode = "ai"
        state.status = "active"
        try await LifecycleStore.save(state, assignedNow: false, on: connection)
        try InboxTimeline.record(
            "mode_changed", outbox: "conversation.returned_to_ai", organizationID: state.organizationID,
            conversationID: state.id, actor: .user(userID),
            payload: ["from": .string(previous), "to": .string("ai"), "reason": .string("operator_handed_back")],
            on: connection)
    }

    /// Mode hybrid: the AI keeps answering while `userID` follows the conversation (assigned to
    /// them when nobody is); waiting → active. An operator who writes takes it over.
    static func follow(
        _ state: inout LockedConversation, by userID: UUID, on connection: PostgresConnection
    )
        async throws
    {
        guard state.mode != "hybrid" else { return }
        let previous = state.mode, previousAssignee = state.assignedToUserID
        state.mode = "hybrid"
        if state.status == "waiting" { state.status = "active" }
        if state.assignedToUserID == nil { state.assignedToUserID = userID }
        let assigned = state.assignedToUserID != previousAssignee
        try await LifecycleStore.save(state, assignedNow: assigned, on: connection)
        try InboxTimeline.record(
            "mode_changed", outbox: "conversation.mode_changed", organizationID: state.organizationID,
            conversationID: state.id, actor: .user(userID),
            payload: ["from": .string(previous), "to": .string("hybrid"), "reason": .string("operator_follows")],
            on: connection)
        if assigned {
            try InboxTimeline.record(
                "assigned", outbox: "conversation.assigned", organizationID: state.organizationID,
                conversationID: state.id, actor: .user(userID),
                payload: [
                    "from_user_id": .null, "to_user_id": .string(userID.lowercasedString),
                    "reason": .string("follows"),
                ], on: connection)
        }
    }

    func transfer(
        _ request: Conversations.TransferConversationRequest, _ context: RPCContext
    ) async throws
        -> Conversations.InboxConversation
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsWrite)
        let target = try Self.uuid(request.userId, field: "user_id")
        let id = try Self.conversationID(request.conversationId)
        // Another organization's conversation is NOT_FOUND whoever the target is.
        guard
            try await database.withConnection({
                try await InboxMessageStore.conversationExists(id, organizationID: caller.organizationID, on: $0)
            })
        else { throw RPCError(.notFound, "conversation not found") }
        let users = try await InboxDirectory.assignableUsersOrFailure(
            identity: identity, organizationID: caller.organizationID, requestID: context.metadata.requestID)
        guard users.users.contains(where: { UUID(canonicalText: $0.id) == target }) else {
            throw RPCError(
                .failedPrecondition, "user_id is not an active user of the organization who may handle conversations")
        }
        let resume = await settings.resumeAfterMinutes(context: context)
        return try await change(request.conversationId, context) { connection, state, caller in
            guard state.isOpen else {
                throw RPCError(.failedPrecondition, "the conversation is \(state.status); reopen it first")
            }
            guard state.assignedToUserID != target else { return }
            let previous = state.assignedToUserID
            state.assignedToUserID = target
            let modeChanged = state.mode == "ai"
            state.mode = "human"
            if state.status == "waiting" { state.status = "active" }
            try await LifecycleStore.save(state, assignedNow: true, on: connection)
            // A transfer is operator activity: the return-to-AI clock starts again, so a
            // conversation handed to someone who never acts still goes back to AI.
            try await LifecycleStore.touchOperatorActivity(state.id, resumeAfterMinutes: resume, on: connection)
            try await LifecycleStore.skipPendingReplies(state.id, result: "human_mode", on: connection)
            try InboxTimeline.record(
                "assigned", outbox: "conversation.assigned", organizationID: state.organizationID,
                conversationID: state.id, actor: .user(caller.userID),
                payload: [
                    "from_user_id": previous.map { .string($0.lowercasedString) } ?? .null,
                    "to_user_id": .string(target.lowercasedString), "reason": .string("transfer"),
                    "mode_changed": .bool(modeChanged),
                ], on: connection)
        }
    }

    func close(
        _ request: Conversations.ConversationRequest, _ context: RPCContext
    ) async throws
        -> Conversations.InboxConversation
    {
        try await change(request.conversationId, context) { connection, state, caller in
            guard state.isOpen else { return }
            let previous = state.status
            state.status = "closed"
            try await LifecycleStore.save(state, assignedNow: false, on: connection)
            try await LifecycleStore.skipPendingReplies(state.id, result: "closed", on: connection)
            try InboxTimeline.record(
                "conversation.closed", outbox: "conversation.closed", organizationID: state.organizationID,
                conversationID: state.id, actor: .user(caller.userID), payload: ["from": .string(previous)],
                on: connection)
        }
    }

    func reopen(
        _ request: Conversations.ConversationRequest, _ context: RPCContext
    ) async throws
        -> Conversations.InboxConversation
    {
        do {
            return try await change(request.conversationId, context) { connection, state, caller in
                guard !state.isOpen else { return }
                let previous = state.status
                state.status = "active"
                try await LifecycleStore.save(state, assignedNow: false, on: connection)
                try InboxTimeline.record(
                    "reopened", outbox: "conversation.reopened", organizationID: state.organizationID,
                    conversationID: state.id, actor: .user(caller.userID), payload: ["from": .string(previous)],
                    on: connection)
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw RPCError(
                .failedPrecondition, "the contact already has an open conversation on this channel; use that one")
        }
    }

    func update(
        _ request: Conversations.UpdateConversationRequest, _ context: RPCContext
    ) async throws
        -> Conversations.InboxConversation
    {
        let priority = try request.priority.map { value in
            guard Self.priorities.contains(value) else {
                throw RPCError(.invalidArgument, "priority must be one of low, normal, high, urgent")
            }
            return value
        }
        let mode = try request.mode.map { value in
            guard Self.modes.contains(value) else {
                throw RPCError(.invalidArgument, "mode must be one of ai, human, hybrid")
            }
            return value
        }
        let resume = mode == "human" ? await settings.resumeAfterMinutes(context: context) : nil
        var tags: [String]? = nil
        if request.setTags {
            guard request.tags.count <= 20 else { throw RPCError(.invalidArgument, "at most 20 tags") }
            var seen: [String] = []
            for tag in request.tags {
                let clean = try Self.text(
                    tag.trimmingCharacters(in: .whitespaces), field: "tags", maximum: 50)
                if !seen.contains(clean) { seen.append(clean) }
            }
            tags = seen
        }
        let newTags = tags
        return try await change(request.conversationId, context) { connection, state, caller in
            if let mode, mode != state.mode {
                guard state.isOpen else {
                    throw RPCError(.failedPrecondition, "the conversation is \(state.status); reopen it first")
                }
                switch mode {
                case "human": try await Self.takeOver(&state, by: caller.userID, resume: resume, on: connection)
                case "hybrid": try await Self.follow(&state, by: caller.userID, on: connection)
                default: try await Self.handBack(&state, by: caller.userID, on: connection)
                }
            }
            var changes: [String: TimelineValue] = [:]
            if let priority, priority != state.priority {
                changes["priority"] = .string(priority)
                changes["previous_priority"] = .string(state.priority)
                state.priority = priority
            }
            if let tags = newTags, tags != state.tags {
                changes["tags"] = .strings(tags)
                changes["previous_tags"] = .strings(state.tags)
                state.tags = tags
            }
            guard !changes.isEmpty else { return }
            try await LifecycleStore.save(state, assignedNow: false, on: connection)
            try InboxTimeline.record(
                changes["priority"] != nil && changes["tags"] == nil
                    ? "priority_changed"
                    : changes["priority"] == nil ? "tags_changed" : "updated",
                outbox: "conversation.updated", organizationID: state.organizationID, conversationID: state.id,
                actor: .user(caller.userID), payload: changes, on: connection)
        }
    }

    func markRead(
        _ request: Conversations.ConversationRequest, _ context: RPCContext
    ) async throws
        -> Conversations.InboxConversation
    {
        try await change(request.conversationId, context) { connection, state, caller in
            let newest = try await DeliveryStore.markInboundRead(state.id, on: connection)
            if state.channelType == "whatsapp", let newest, !state.channelDeleted {
                try await DeliveryStore.enqueue(
                    DeliveryStore.NewDelivery(
                        organizationID: state.organizationID, channelID: state.channelID, conversationID: state.id,
                        messageID: nil, messageCreatedAt: nil, kind: "mark_read", recipient: state.contactIdentifier,
                        body: ["external_message_id": .string(newest)]),
                    on: connection)
            }
            try await InboxTimeline.append(
                "read", organizationID: state.organizationID, conversationID: state.id, actor: .user(caller.userID),
                payload: [:], on: connection)
        }
    }
}
