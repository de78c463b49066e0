import Access
import Contracts
import Foundation
import Postgres
import RPC

/// WaitConversationEvents: the organization's live feed for the console (`GET /api/v1/stream`
/// in the gateway), a long poll over conversation_events resumed after the last seq seen.
struct LiveFeedHandlers: Sendable {
    let database: PostgresClient
    let signal: EventSignal
    /// Refreshes the organization's retention copy as its users work (nil in tests).
    var retention: RetentionSettingsRecorder? = nil

    func register(on router: RPCRouter) {
        router.register(Conversations.Service.waitConversationEvents) { request, context in
            try await waitEvents(request, context)
        }
    }

    func waitEvents(
        _ request: Conversations.WaitConversationEventsRequest, _ context: RPCContext
    ) async throws -> Conversations.WaitEventsResponse {
        let caller = try AuthenticatedCaller(context)
        try caller.require(.conversationsRead)
        let wait = Duration.milliseconds(max(0, min(Int64(request.waitMs), 30_000)))
        let limit = request.limit <= 0 ? 200 : min(Int(request.limit), 200)
        await retention?.refresh(organizationID: caller.organizationID, context: context)
        // A console that opens the stream without a Last-Event-ID wants what happens from now
        // on, not the organization's whole history.
        if request.afterSeq < 0 {
            let latest = try await database.withConnection { connection in
                try await ConversationEventFeed.latest(caller.organizationID, on: connection)
            }
            return Conversations.WaitEventsResponse(events: [], lastSeq: latest)
        }
        let after = request.afterSeq
        let events = try await LongPoll.collect(wait: wait, signal: signal, organizationID: caller.organizationID) {
            try await database.withConnection { connection in
                try await ConversationEventFeed.organization(
                    caller.organizationID, after: after, limit: limit, on: connection)
            }
        }
        return Conversations.WaitEventsResponse(events: events, lastSeq: events.last?.seq ?? after)
    }
}
