import Access
import Contracts
import Foundation
import Postgres
import RPC
import ServiceKit

/// The operators' side of conversations: the inbox (list, read, timeline), operator
/// messages and the lifecycle (take over, hand back, transfer, close, reopen, priority,
/// tags). Every query is scoped by the caller's organization; another organization's id
/// answers NOT_FOUND.
struct InboxHandlers: Sendable {
    let database: PostgresClient
    /// identity: ListAssignableUsers (assignee names, transfers) and GetOrganizationSettings.
    let identity: any RPCCaller
    /// crm: GetLead (lead name and temperature of a page's rows).
    let crm: any RPCCaller
    /// Wakes the delivery worker when a message is queued.
    let wakeup: Wakeup
    /// The organization's "return to AI after N minutes" setting, cached briefly.
    let settings: OperatorSettingsCache

    /// Registers the inbox's methods on `router`.
    func register(on router: RPCRouter) {
        router.register(Conversations.Service.listConversations) { request, context in
            try await listConversations(request, context)
        }
        router.register(Conversations.Service.getConversation) { request, context in
            try await getConversation(request, context)
        }
        router.register(Conversations.Service.listMessages) { request, context in
            try await listMessages(request, context)
        }
        router.register(Conversations.Service.listConversationTimeline) { request, context in
            try await listTimeline(request, context)
        }
        router.register(Conversations.Service.sendOperatorMessage) { request, context in
            try await sendOperatorMessage(request, context)
        }
        router.register(Conversations.Service.retryMessage) { request, context in
            try await retryMessage(request, context)
        }
        router.register(Conversations.Service.markConversationRead) { request, context in
            try await markRead(request, context)
        }
        router.register(Conversations.Service.takeOverConversation) { request, context in
            try await takeOver(request, context)
        }
        router.register(Conversations.Service.handBackConversation) { request, context in
            try await handBack(request, context)
        }
        router.register(Conversations.Service.transferConversation) { request, context in
            try await transfer(request, context)
        }
        router.register(Conversations.Service.closeConversation) { request, context in
            try await close(request, context)
        }
        router.register(Conversations.Service.reopenConversation) { request, context in
            try await reopen(request, context)
        }
        router.register(Conversations.Service.updateConversation) { request, context in
            try await update(request, context)
        }
    }

    /// `text` as a conversation's id; NOT_FOUND when it is not a UUID (an id that cannot
    /// exist is as absent as another organization's).
    static func conversationID(_ text: String) throws -> UUID {
        guard let id = UUID(canonicalText: text) else { throw RPCError(.notFound, "conversation not found") }
        return id
    }

    /// The conversation as the inbox shows it, with lead and assignee names filled in.
    func present(_ rows: [InboxConversationRow], context: RPCContext) async -> [Conversations.InboxConversation] {
        guard let first = rows.first else { return [] }
        // identity and crm are asked at the same time, each only when a row needs it.
        async let assignees = InboxDirectory.assigneeNames(
            identity: identity, organizationID: first.organizationID, ids: Set(rows.compactMap(\.assignedToUserID)),
            requestID: context.metadata.requestID)
        async let leadFields = InboxDirectory.leads(
            crm: crm, organizationID: first.organizationID, ids: Set(rows.compactMap(\.leadID)),
            requestID: context.metadata.requestID)
        let (names, leads) = await (assignees, leadFields)
        return rows.map { row in
            var conversation = row.conversation
            if let user = row.assignedToUserID { conversation.assignedToName = names[user] ?? "" }
            if let lead = row.leadID, let found = leads[lead] {
                conversation.leadName = found.name
                conversation.leadTemperature = found.temperature
            }
            return conversation
        }
    }

    /// One conversation of the caller's organization, presented; NOT_FOUND otherwise.
    func presentOne(
        _ id: UUID, organizationID: UUID, context: RPCContext
    ) async throws
        -> Conversations.InboxConversation
    {
        guard
            let row = try await database.withConnection({
                try await InboxStore.find(id, organizationID: organizationID, on: $0)
            })
        else { throw RPCError(.notFound, "conversation not found") }
        return await present([row], context: context)[0]
    }
}
