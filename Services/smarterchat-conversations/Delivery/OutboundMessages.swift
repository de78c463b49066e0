import Contracts
import Foundation
import Postgres

/// Stores an outbound message and queues its delivery in one transaction: AI replies and
/// operators' messages take the same path. Web chat has no provider: its message is pushed
/// at once as a `message.sent` timeline row, which the web chat's event stream reads.
enum OutboundMessages {
    /// Stores `content` from `sender` in the locked conversation and queues it; answers the
    /// stored message. With `sendNow`, the delivery is held for this process when it can go
    /// out at once (``DeliveryWorker/reserveImmediateSend(kind:recipient:in:)``): the caller
    /// sends the answered `claimed` after commit (``DeliveryWorker/send(_:)``), or abandons it.
    static func queue(
        _ content: ChannelRules.Content, in state: LockedConversation, senderType: String, senderID: UUID?,
        ai: InboxMessageStore.GeneratedReply? = nil, sendNow sender: DeliveryWorker? = nil,
        on connection: PostgresConnection
    ) async throws -> (message: Conversations.InboxMessage, claimed: DeliveryWorker.Claimed?) {
        let isWebchat = state.channelType == "webchat"
        var outbound = InboxMessageStore.Outbound(
            conversationID: state.id, senderType: senderType, senderID: senderID, content: "",
            status: isWebchat ? "sent" : "pending")
        outbound.ai = ai
        var body: [String: TimelineValue]
        let kind: String
        switch content {
        case .text(let text):
            outbound.content = text
            body = ["text": .string(text)]
            kind = "text"
            if state.channelType == "instagram", senderType == "user",
                ChannelRules.needsHumanAgentTag(lastContactMessageAt: state.lastContactMessageAt)
            {
                body["human_agent_tag"] = .bool(true)
            }
        case .template(let name, let language, let parameters):
            outbound.content = "[template \(name)] " + parameters.joined(separator: " | ")
            outbound.contentType = "template"
            outbound.metadata = try PostgresJSON(
                encoding: [
                    "template": [
                        "name": .string(name), "language": .string(language), "parameters": .strings(parameters),
                    ]
                ] as [String: [String: TimelineValue]])
            body = ["name": .string(name), "language": .string(language), "parameters": .strings(parameters)]
            kind = "template"
        }
        let stored = try await InboxMessageStore.insertOutbound(outbound, on: connection)
        let message = stored.message
        var payload = InboxTimeline.messagePayload(message)
        payload["ai_generated"] = .bool(ai != nil)
        try InboxTimeline.record(
            isWebchat ? "message.sent" : "message.queued", outbox: isWebchat ? "message.sent" : nil,
            organizationID: state.organizationID, conversationID: state.id,
            actor: InboxTimeline.Actor(type: senderType, id: senderID), payload: payload, on: connection)
        // Last: nothing after the claim can fail and leave its slot taken.
        var claimed: DeliveryWorker.Claimed?
        if !isWebchat {
            let delivery = DeliveryStore.NewDelivery(
                organizationID: state.organizationID, channelID: state.channelID, conversationID: state.id,
                messageID: UUID(canonicalText: message.id), messageCreatedAt: stored.createdAt,
                kind: kind, recipient: state.contactIdentifier, body: body)
            let bodyJSON = try PostgresJSON(encoding: body).text
            let credentials = sender?.reserveImmediateSend(kind: kind, recipient: state.contactIdentifier, in: state)
            let queued: (id: UUID, sending: Bool)
            do {
                queued = try await DeliveryStore.enqueue(delivery, sendingNow: credentials != nil, on: connection)
            } catch {
                if credentials != nil { sender?.abandon(organizationID: state.organizationID) }
                throw error
            }
            if let credentials, queued.sending {
                claimed = DeliveryWorker.Claimed(
                    delivery: OutboundDelivery(
                        id: queued.id, organizationID: state.organizationID, channelID: state.channelID,
                        conversationID: state.id, messageID: delivery.messageID, messageCreatedAt: stored.createdAt,
                        kind: kind, recipient: state.contactIdentifier, bodyJSON: bodyJSON, attempts: 0),
                    credentials: credentials)
            } else if credentials != nil {
                // Queued behind an earlier delivery of the conversation: the slot goes back.
                sender?.abandon(organizationID: state.organizationID)
            }
        }
        return (message, claimed)
    }
}
