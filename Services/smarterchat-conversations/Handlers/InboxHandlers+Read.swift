import Access
import Contracts
import Foundation
import Postgres
import RPC

/// ListConversations, GetConversation, ListMessages, ListConversationTimeline
/// (conversations:read).
extension InboxHandlers {
    static let statuses: Set<String> = ["active", "waiting", "closed", "archived"]
    static let modes: Set<String> = ["ai", "human", "hybrid"]
    static let priorities: Set<String> = ["low", "normal", "high", "urgent"]

    func listConversations(
        _ request: Conversations.ListConversationsRequest, _ context: RPCContext
    ) async throws
        -> Conversations.ListConversationsResponse
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsRead)
        var filter = InboxStore.Filter(limit: try Self.limit(request.limit, default: 25, maximum: 100))
        filter.status = try Self.member(request.status, of: Self.statuses, field: "status")
        filter.mode = try Self.member(request.mode, of: Self.modes, field: "mode")
        filter.priority = try Self.member(request.priority, of: Self.priorities, field: "priority")
        switch request.assignedTo {
        case "": break
        case "me": filter.assignedTo = caller.userID
        case "none": filter.unassigned = true
        default: filter.assignedTo = try Self.uuid(request.assignedTo, field: "assigned_to")
        }
        filter.channelID = try request.channelId.isEmpty ? nil : Self.uuid(request.channelId, field: "channel_id")
        filter.agentID = try request.agentId.isEmpty ? nil : Self.uuid(request.agentId, field: "agent_id")
        filter.tag = try request.tag.isEmpty ? nil : Self.text(request.tag, field: "tag", maximum: 50)
        let search = request.q.trimmingCharacters(in: .whitespacesAndNewlines)
        filter.search = search.isEmpty ? nil : try Self.text(search, field: "q", maximum: 200)
        if !request.cursor.isEmpty {
            let (key, id) = try PageCursor.decode(request.cursor)
            filter.after = (key, id)
        }
        let rows = try await database.withConnection { connection in
            try await InboxStore.list(organizationID: caller.organizationID, filter: filter, on: connection)
        }
        let page = Array(rows.prefix(filter.limit))
        var response = Conversations.ListConversationsResponse()
        response.conversations = await present(page, context: context)
        if rows.count > filter.limit, let last = page.last {
            response.nextCursor = PageCursor.encode(key: last.activityKey, id: last.conversation.id)
        }
        return response
    }

    func getConversation(
        _ request: Conversations.ConversationRequest, _ context: RPCContext
    ) async throws
        -> Conversations.InboxConversation
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsRead)
        return try await presentOne(
            Self.conversationID(request.conversationId), organizationID: caller.organizationID, context: context)
    }

    func listMessages(
        _ request: Conversations.ListMessagesRequest, _ context: RPCContext
    ) async throws
        -> Conversations.ListMessagesResponse
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsRead)
        let id = try Self.conversationID(request.conversationId)
        let limit = try Self.limit(request.limit, default: 50, maximum: 100)
        let before = try request.cursor.isEmpty ? nil : PageCursor.decode(request.cursor)
        let rows = try await database.withConnection { connection in
            guard
                try await InboxMessageStore.conversationExists(
                    id, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "conversation not found") }
            return try await InboxMessageStore.page(
                conversationID: id, before: before.map { ($0.key, $0.id) }, limit: limit + 1, on: connection)
        }
        var response = Conversations.ListMessagesResponse()
        response.messages = rows.prefix(limit).map(\.message)
        if rows.count > limit, let last = rows.prefix(limit).last {
            response.nextCursor = PageCursor.encode(key: last.createdKey, id: last.message.id)
        }
        return response
    }

    func listTimeline(
        _ request: Conversations.ListConversationTimelineRequest, _ context: RPCContext
    ) async throws
        -> Conversations.ListConversationTimelineResponse
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsRead)
        let id = try Self.conversationID(request.conversationId)
        guard request.afterSeq >= 0 else { throw RPCError(.invalidArgument, "after_seq must not be negative") }
        let limit = try Self.limit(request.limit, default: 100, maximum: 200)
        let events = try await database.withConnection { connection in
            guard
                try await InboxMessageStore.conversationExists(
                    id, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "conversation not found") }
            return try await InboxTimeline.page(
                conversationID: id, afterSeq: request.afterSeq, limit: limit + 1, on: connection)
        }
        var response = Conversations.ListConversationTimelineResponse()
        response.events = Array(events.prefix(limit))
        if events.count > limit { response.nextAfterSeq = response.events.last?.seq ?? 0 }
        return response
    }

    // MARK: - Input

    static func limit(_ value: Int32, default fallback: Int, maximum: Int) throws -> Int {
        if value == 0 { return fallback }
        guard value > 0, value <= maximum else {
            throw RPCError(.invalidArgument, "limit must be between 1 and \(maximum)")
        }
        return Int(value)
    }

    static func member(_ value: String, of allowed: Set<String>, field: String) throws -> String? {
        if value.isEmpty { return nil }
        guard allowed.contains(value) else {
            throw RPCError(.invalidArgument, "\(field) must be one of \(allowed.sorted().joined(separator: ", "))")
        }
        return value
    }

    static func uuid(_ value: String, field: String) throws -> UUID {
        guard let id = UUID(canonicalText: value) else { throw RPCError(.invalidArgument, "\(field) must be a UUID") }
        return id
    }

    /// `value` when it has 1...`maximum` characters and no control characters.
    static func text(_ value: String, field: String, maximum: Int) throws -> String {
        guard !value.isEmpty, value.count <= maximum,
            !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw RPCError(.invalidArgument, "\(field) must be 1 to \(maximum) characters without control characters")
        }
        return value
    }
}

/// An opaque page cursor: the last row's order key (PostgreSQL's text of a timestamp) and
/// id, base64url-encoded.
enum PageCursor {
    static func encode(key: String, id: String) -> String {
        Data("\(key)|\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) throws -> (key: String, id: UUID) {
        var text = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard cursor.count <= 200, let data = Data(base64Encoded: text),
            let decoded = String(data: data, encoding: .utf8),
            let bar = decoded.lastIndex(of: "|"),
            let id = UUID(canonicalText: String(decoded[decoded.index(after: bar)...])),
            Self.isTimestamp(decoded[..<bar])
        else { throw RPCError(.invalidArgument, "cursor is not valid") }
        return (String(decoded[..<bar]), id)
    }

    /// Only what PostgreSQL prints for a timestamptz: digits, `-`, `:`, `.`, `+` and one space.
    private static func isTimestamp(_ text: Substring) -> Bool {
        text.count >= 19 && text.count <= 40
            && text.allSatisfy { $0.isASCII && ($0.isNumber || "-:.+ ".contains($0)) }
            && text.first?.isNumber == true
    }
}
