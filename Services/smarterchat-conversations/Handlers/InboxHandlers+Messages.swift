import Access
import Contracts
import Foundation
import Postgres
import RPC
import ServiceKit

/// SendOperatorMessage, RetryMessage (conversations:write).
extension InboxHandlers {
    /// The longest text an operator may send (WhatsApp's and Telegram's limit).
    static let maximumMessageLength = 4096

    func sendOperatorMessage(
        _ request: Conversations.SendOperatorMessageRequest, _ context: RPCContext
    ) async throws
        -> Conversations.InboxMessage
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsWrite)
        let id = try Self.conversationID(request.conversationId)
        let content = try Self.content(request)
        let resume = await settings.resumeAfterMinutes(context: context)
        let message = try await database.withTransaction { connection in
            guard var state = try await LifecycleStore.lock(id, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "conversation not found") }
            guard state.isOpen else {
                throw RPCError(.failedPrecondition, "the conversation is \(state.status); reopen it to write")
            }
            guard !state.channelDeleted else { throw RPCError(.failedPrecondition, "the channel was removed") }
            guard state.channelStatus != "error" else {
                throw RPCError(
                    .failedPrecondition,
                    "the channel is in error (\(state.channelError ?? "unknown")); an admin must fix its credentials")
            }
            try ChannelRules.check(
                content, channelType: state.channelType, lastContactMessageAt: state.lastContactMessageAt,
                byOperator: true)
            // The AI stops at once: mode human, pending replies skipped (a running one sees the
            // mode when it commits and drops its reply).
            if state.mode != "human" || state.assignedToUserID == nil {
                let assignee = state.assignedToUserID ?? caller.userID
                try await Self.takeOver(&state, by: assignee, resume: resume, on: connection)
            } else {
                try await LifecycleStore.touchOperatorActivity(state.id, resumeAfterMinutes: resume, on: connection)
                try await LifecycleStore.skipPendingReplies(state.id, result: "human_mode", on: connection)
            }
            return try await OutboundMessages.queue(
                content, in: state, senderType: "user", senderID: caller.userID, on: connection
            ).message
        }
        wakeup.signal()
        return message
    }

    func retryMessage(
        _ request: Conversations.RetryMessageRequest, _ context: RPCContext
    ) async throws
        -> Conversations.InboxMessage
    {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsWrite)
        let id = try Self.conversationID(request.conversationId)
        guard let messageID = UUID(canonicalText: request.messageId) else {
            throw RPCError(.notFound, "message not found")
        }
        let message = try await database.withTransaction { connection in
            guard let state = try await LifecycleStore.lock(id, organizationID: caller.organizationID, on: connection)
            else { throw RPCError(.notFound, "conversation not found") }
            guard try await InboxMessageStore.find(messageID, conversationID: id, on: connection) != nil else {
                throw RPCError(.notFound, "message not found")
            }
            guard state.channelStatus != "error" else {
                throw RPCError(
                    .failedPrecondition,
                    "the channel is in error (\(state.channelError ?? "unknown")); an admin must fix its credentials")
            }
            guard try await DeliveryStore.requeue(messageID: messageID, conversationID: id, on: connection) else {
                throw RPCError(
                    .failedPrecondition, "only a failed message or one whose delivery is unknown can be retried")
            }
            try await InboxTimeline.append(
                "message.retried", organizationID: state.organizationID, conversationID: id,
                actor: .user(caller.userID), payload: ["message_id": .string(messageID.lowercasedString)],
                on: connection)
            return try await InboxMessageStore.find(messageID, conversationID: id, on: connection)!.message
        }
        wakeup.signal()
        return message
    }

    /// The text or template of an operator's message, validated.
    static func content(_ request: Conversations.SendOperatorMessageRequest) throws -> ChannelRules.Content {
        if let template = request.template, !template.name.isEmpty {
            guard request.content.isEmpty else {
                throw RPCError(.invalidArgument, "send either content or a template, not both")
            }
            guard template.name.count <= 512,
                template.name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
            else {
                throw RPCError(.invalidArgument, "template.name must be lower-case letters, digits and _")
            }
            let language = template.language.isEmpty ? "pt_BR" : template.language
            guard language.count <= 15, language.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "_") }) else {
                throw RPCError(.invalidArgument, "template.language must be a language code such as pt_BR")
            }
            guard template.parameters.count <= 20 else {
                throw RPCError(.invalidArgument, "at most 20 template parameters")
            }
            for parameter in template.parameters {
                _ = try text(parameter, field: "template.parameters", maximum: 1024)
            }
            return .template(name: template.name, language: language, parameters: template.parameters)
        }
        let trimmed = request.content.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw RPCError(.invalidArgument, "content must not be empty") }
        guard request.content.count <= maximumMessageLength else {
            throw RPCError(.invalidArgument, "content must be at most \(maximumMessageLength) characters")
        }
        guard !request.content.unicodeScalars.contains("\u{0}") else {
            throw RPCError(.invalidArgument, "content must not contain U+0000")
        }
        return .text(request.content)
    }
}
