import Contracts
import Foundation
import Logging
import Postgres
import RPC
import ServiceKit

/// Stores what a channel delivered, in one transaction per callback: for each message the
/// receipt (a redelivery is counted as a duplicate and stored once), the contact's open
/// conversation (found or opened), the lead link (crm's `FindOrCreateLead` for a conversation
/// without a lead), the message, a reply job (mode ai, an agent linked, within the plan), the
/// outbox events (`conversation.created`, `message.received`, `message.delivered`, ...) and
/// the timeline / live feed rows; statuses move our outbound messages forward.
///
/// When crm cannot be reached (or does not implement the call yet) the conversation is
/// stored without a lead and the link is tried again at the contact's next message: a
/// customer's message is never refused for it.
struct InboundIngest: Sendable {
    let database: PostgresClient
    let crm: (any RPCCaller)?
    let planLimits: PlanLimitCache
    let logger: Logger
    /// Signalled after a commit that stored messages (they may have queued reply jobs), so
    /// the reply worker of this process starts at once instead of at its next poll.
    var replyWakeup: Wakeup? = nil

    /// Content types stored without asking the agent for a reply.
    static let unanswered: Set<String> = ["reaction", "unsupported"]

    /// The channel as ingest needs it.
    struct Target: Sendable {
        var channelID: UUID
        var organizationID: UUID
        var agentID: UUID?
        var type: String
    }

    func store(
        _ payload: InboundPayload, for target: Target, requestID: String
    ) async throws -> Conversations.IngestWebhookResponse {
        try await store([(target, payload)], requestID: requestID)
    }

    /// Stores the parts of one callback, each for its channel, in one transaction.
    func store(
        _ parts: [(Target, InboundPayload)], requestID: String
    ) async throws -> Conversations.IngestWebhookResponse {
        var response = Conversations.IngestWebhookResponse(ignored: Int32(parts.map(\.1.ignored).reduce(0, +)))
        guard parts.contains(where: { !$0.1.messages.isEmpty || !$0.1.statuses.isEmpty }) else { return response }
        response = try await database.withTransaction { connection in
            var response = response
            for (target, payload) in parts {
                // Rows are locked in one order (contact, then message id) whatever the payload's
                // order, so two callbacks naming the same contacts cannot deadlock; a contact's
                // own messages keep their order (the sort is stable).
                let messages = payload.messages.enumerated().sorted {
                    ($0.element.contactIdentifier, $0.offset) < ($1.element.contactIdentifier, $1.offset)
                }.map(\.element)
                let statuses = payload.statuses.sorted { $0.externalID < $1.externalID }
                for message in messages {
                    if try await store(message, for: target, requestID: requestID, on: connection).duplicate {
                        response.duplicates += 1
                    } else {
                        response.messagesStored += 1
                    }
                }
                for status in statuses {
                    if try await apply(status, for: target, on: connection) { response.statusesApplied += 1 }
                }
            }
            return response
        }
        if response.messagesStored > 0 { replyWakeup?.signal() }
        return response
    }

    /// Stores one message in a transaction of its own (a web chat visitor's) and, once that
    /// committed a new message, wakes this process's reply worker as the batch path does: the
    /// worker hears no notification of its own process's commits.
    func store(_ message: InboundMessage, for target: Target, requestID: String) async throws -> Stored {
        let stored = try await database.withTransaction { connection in
            try await store(message, for: target, requestID: requestID, on: connection)
        }
        if !stored.duplicate { replyWakeup?.signal() }
        return stored
    }

    /// Where a message was stored, and whether an earlier delivery stored it.
    struct Stored: Sendable {
        var conversationID: UUID
        var messageID: UUID
        var duplicate: Bool
    }

    /// Stores one message, or finds where an earlier delivery stored it.
    func store(
        _ message: InboundMessage, for target: Target, requestID: String, on connection: PostgresConnection
    ) async throws -> Stored {
        let conversation: IngestStore.ConversationRef
        switch try await IngestStore.lookUp(
            channelID: target.channelID, externalID: message.externalID, contact: message.contactIdentifier,
            on: connection)
        {
        case .earlier(let conversationID, let messageID):
            return Stored(conversationID: conversationID, messageID: messageID, duplicate: true)
        case .open(let found, let unnamed):
            if unnamed, let contactName = message.contactName {
                try await IngestStore.name(found.id, contactName, on: connection)
            }
            conversation = found
        case .neither:
            var metadata: [String: Any] = [:]
            if let phone = message.contactPhone { metadata["phone"] = phone }
            conversation = try await IngestStore.findOrOpen(
                organizationID: target.organizationID, channelID: target.channelID, agentID: target.agentID,
                contact: message.contactIdentifier, contactName: message.contactName,
                contactMetadata: PostgresJSON(text: LooseJSON.text(metadata)), on: connection)
        }
        let messageID = UUID()
        // An earlier delivery's receipt, found at insert (the receipt check of lookUp ran
        // before a concurrent delivery of the same message committed).
        func earlier() async throws -> Stored {
            let earlier = try await IngestStore.receipt(
                channelID: target.channelID, externalID: message.externalID, on: connection)
            return Stored(
                conversationID: earlier?.conversationID ?? conversation.id, messageID: earlier?.messageID ?? messageID,
                duplicate: true)
        }
        // A known contact's message with its lead (the common case) has nothing to do between
        // its receipt and the message: the receipt goes into storeMessage's statement. A new
        // conversation or a missing lead checks the receipt first, before the plan and crm.
        let receiptWithMessage = !conversation.created && conversation.leadID != nil
        if !receiptWithMessage {
            guard
                try await IngestStore.insertReceipt(
                    channelID: target.channelID, externalID: message.externalID,
                    organizationID: target.organizationID, conversationID: conversation.id, messageID: messageID,
                    on: connection)
            else { return try await earlier() }
        }
        var overPlanLimit = conversation.overPlanLimit
        if conversation.created {
            overPlanLimit = try await checkPlanLimit(target: target, conversationID: conversation.id, on: connection)
        }
        var leadID = conversation.leadID
        if leadID == nil {
            leadID = await findOrCreateLead(
                message, target: target, conversationID: conversation.id, requestID: requestID)
            if let leadID {
                try await IngestStore.setLead(conversationID: conversation.id, leadID: leadID, on: connection)
            }
        }
        let ids = EventIDs(
            conversationID: conversation.id, channelID: target.channelID, channelType: target.type, leadID: leadID)
        if conversation.created {
            let created = ConversationCreated(
                ids: ids, contactIdentifier: message.contactIdentifier, contactName: message.contactName,
                overPlanLimit: overPlanLimit)
            try await Outbox.append(
                Outbox.Event(
                    type: "conversation.created", organizationID: target.organizationID,
                    aggregateType: "conversation", aggregateID: conversation.id, payload: created), on: connection)
            try await IngestStore.appendEvent(
                organizationID: target.organizationID, conversationID: conversation.id, type: "conversation.created",
                actorType: "contact", payload: try PostgresJSON(encoding: created), on: connection)
        }
        let received = MessageEvent(
            ids: ids, messageID: messageID.lowercased, senderType: "contact", direction: "inbound", status: "delivered",
            contentType: message.contentType, content: message.content, mediaURL: message.mediaURL,
            externalID: message.externalID)
        // The message, its reply job and `message.received` (outbox and timeline) in one
        // statement: after conversation.created, so the events keep their order.
        // A reaction (an emoji on an earlier message) and an `unsupported` one (an edit, an ad
        // referral, a system notice, a kind of message we cannot read) are kept and shown, not
        // answered: the agent would be answering something it cannot see.
        let requestReply =
            LockedConversation.aiAnswering.contains(conversation.mode) && !overPlanLimit && target.agentID != nil
            && !Self.unanswered.contains(message.contentType)
        guard
            try await IngestStore.storeMessage(
                id: messageID, conversationID: conversation.id, organizationID: target.organizationID,
                message: message, requestReply: requestReply,
                event: try PostgresJSON(encoding: received), receipt: receiptWithMessage ? target.channelID : nil,
                on: connection)
        else { return try await earlier() }
        return Stored(conversationID: conversation.id, messageID: messageID, duplicate: false)
    }

    /// Applies a delivery status; true when the message's status moved.
    func apply(_ status: InboundStatus, for target: Target, on connection: PostgresConnection) async throws -> Bool {
        guard
            let (messageID, conversationID) = try await IngestStore.applyStatus(
                status, channelID: target.channelID, on: connection)
        else { return false }
        let event = StatusEvent(
            messageID: messageID.lowercased, conversationID: conversationID.lowercased,
            channelID: target.channelID.lowercased,
            externalID: status.externalID, status: status.status,
            errors: status.errors.flatMap { LooseJSON.object(Array($0.utf8))?["errors"] }.map(LooseJSON.text),
            error: status.status == "failed" ? status.error ?? InboundStatus.unexplainedFailure : nil)
        try await Outbox.append(
            Outbox.Event(
                type: "message.\(status.status)", organizationID: target.organizationID,
                aggregateType: "conversation", aggregateID: conversationID, payload: event), on: connection)
        try await IngestStore.appendEvent(
            organizationID: target.organizationID, conversationID: conversationID, type: "message.\(status.status)",
            actorType: "system", payload: try PostgresJSON(encoding: event), on: connection)
        return true
    }

    /// Flags a new conversation opened over the plan's max_conversations_per_month (0 means
    /// no limit); answers whether it is over. Without identity's answer the conversation is
    /// not flagged.
    func checkPlanLimit(target: Target, conversationID: UUID, on connection: PostgresConnection) async throws -> Bool {
        guard let limit = await planLimits.maxConversationsPerMonth(organizationID: target.organizationID),
            limit > 0
        else { return false }
        let used = try await IngestStore.conversationsThisMonth(
            organizationID: target.organizationID, on: connection)
        guard used > limit else { return false }
        try await IngestStore.flagOverPlanLimit(conversationID: conversationID, limit: limit, on: connection)
        try await IngestStore.appendEvent(
            organizationID: target.organizationID, conversationID: conversationID, type: "plan_limit_reached",
            actorType: "system",
            payload: PostgresJSON(
                text:
                    "{\"max_conversations_per_month\":\(limit),\"reason\":\"no AI reply: the plan's conversations of this month are used up\"}"
            ),
            on: connection)
        return true
    }

    /// crm's lead for the contact; nil when crm cannot answer now (tried again later).
    func findOrCreateLead(
        _ message: InboundMessage, target: Target, conversationID: UUID, requestID: String
    ) async -> UUID? {
        guard let crm else { return nil }
        do {
            let response = try await crm.call(
                CRM.Service.findOrCreateLead,
                CRM.FindOrCreateLeadRequest(
                    organizationId: target.organizationID.lowercasedString, source: target.type,
                    channelId: target.channelID.lowercasedString, phone: message.contactPhone ?? "",
                    platformUserId: message.contactPhone == nil ? message.contactIdentifier : "",
                    name: message.contactName ?? "", email: "", conversationId: conversationID.lowercasedString),
                metadata: CallMetadata(requestID: requestID, caller: "conversations"), timeout: .seconds(5))
            return response.lead.flatMap { UUID(canonicalText: $0.id) }
        } catch {
            logger.notice(
                "crm did not link a lead; the conversation will retry at the next message",
                metadata: ["conversation.id": "\(conversationID)", "error": "\(error)"])
            return nil
        }
    }
}

/// Ids every event of a conversation carries.
struct EventIDs: Encodable, Sendable {
    var conversationID: String
    var channelID: String
    var channelType: String
    var leadID: String?

    init(conversationID: UUID, channelID: UUID, channelType: String, leadID: UUID?) {
        self.conversationID = conversationID.lowercased
        self.channelID = channelID.lowercased
        self.channelType = channelType
        self.leadID = leadID?.lowercased
    }

    enum CodingKeys: String, CodingKey {
        case conversationID = "conversation_id", channelID = "channel_id", channelType = "channel_type"
        case leadID = "lead_id"
    }
}

/// `conversation.created`'s payload.
struct ConversationCreated: Encodable, Sendable {
    var ids: EventIDs
    var contactIdentifier: String
    var contactName: String?
    var overPlanLimit: Bool

    enum CodingKeys: String, CodingKey {
        case contactIdentifier = "contact_identifier", contactName = "contact_name", overPlanLimit = "over_plan_limit"
    }

    func encode(to encoder: any Encoder) throws {
        try ids.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(contactIdentifier, forKey: .contactIdentifier)
        try container.encodeIfPresent(contactName, forKey: .contactName)
        try container.encode(overPlanLimit, forKey: .overPlanLimit)
    }
}

/// The payload of message events (`message.received`; the web chat and console feeds read
/// message_id, content, content_type, sender_type, direction and status from it).
struct MessageEvent: Encodable, Sendable {
    var ids: EventIDs
    var messageID: String
    var senderType: String
    var direction: String
    var status: String
    var contentType: String
    var content: String
    var mediaURL: String?
    var externalID: String?

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id", senderType = "sender_type", direction, status, contentType = "content_type"
        case content, mediaURL = "media_url", externalID = "external_id"
    }

    func encode(to encoder: any Encoder) throws {
        try ids.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(messageID, forKey: .messageID)
        try container.encode(senderType, forKey: .senderType)
        try container.encode(direction, forKey: .direction)
        try container.encode(status, forKey: .status)
        try container.encode(contentType, forKey: .contentType)
        try container.encode(content, forKey: .content)
        try container.encodeIfPresent(mediaURL, forKey: .mediaURL)
        try container.encodeIfPresent(externalID, forKey: .externalID)
    }
}

/// `message.delivered` / `message.read` / `message.failed` from a channel's status callback.
/// A failure carries `error` as the send path's `message.failed` does (`(#code) message`).
struct StatusEvent: Encodable, Sendable {
    var messageID: String
    var conversationID: String
    var channelID: String
    var externalID: String
    var status: String
    /// The provider's errors (JSON text) for a failure.
    var errors: String?
    /// A failure's reason, as the inbox shows it.
    var error: String?
    var direction = "outbound"

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id", conversationID = "conversation_id", channelID = "channel_id"
        case externalID = "external_id", status, errors, error, direction
    }
}

extension UUID {
    /// The lower-case text form the contracts and events carry.
    var lowercased: String { lowercasedString }
}
