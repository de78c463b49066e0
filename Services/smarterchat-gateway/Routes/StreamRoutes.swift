import Contracts
import Hummingbird
import RPC

/// `GET /api/v1/stream` (authenticated, conversations:read): the organization's new messages
/// and conversation changes as Server-Sent Events, from the moment it opens; `Last-Event-ID`
/// (0 for the retained history from the start) resumes without gaps. The stream closes after
/// five minutes and the client reconnects.
///
/// The stream is only as good as its credential: ``ConsoleStreamPoll`` validates the bearer
/// token (or API key) again before each poll, every second while a poll waits, and before a
/// batch of events is written, so a logout, a revoked session or API key or a deactivation
/// ends the stream within the validator's cache age (2 s) plus a second, and a role change
/// applies to the next poll.
struct StreamRoutes: Sendable {
    let conversations: any RPCCaller
    let validator: TokenValidator
    /// How often a waiting poll checks its credential again.
    var recheckInterval: Duration = .seconds(1)

    func register(on authenticated: RouterGroup<GatewayRequestContext>) {
        authenticated.get("stream") { request, context in
            let after = try ServerSentEvents.resumePoint(request, otherwise: -1)
            guard let credential = AuthenticationMiddleware.credential(request) else {
                throw AuthenticationMiddleware.unauthenticated("missing or malformed bearer token")
            }
            // The first call answers at once: a caller without the permission gets a JSON error.
            let first = try await conversations.call(
                Conversations.Service.waitConversationEvents,
                Conversations.WaitConversationEventsRequest(afterSeq: after, waitMs: 0),
                metadata: context.callMetadata, timeout: .seconds(10))
            let poll = ConsoleStreamPoll(
                conversations: conversations, validator: validator, credential: credential,
                requestID: context.requestID, recheckInterval: recheckInterval)
            return ServerSentEvents.response(first: first, lifetime: .seconds(300), logger: context.logger) { last in
                try await poll.next(after: last)
            }
        }
    }
}

/// One long poll of the console stream made with the credential's current principal, given
/// up as soon as the credential stops being valid.
struct ConsoleStreamPoll: Sendable {
    let conversations: any RPCCaller
    let validator: TokenValidator
    let credential: String
    let requestID: String
    let recheckInterval: Duration
    var waitMs: Int32 = 25_000

    /// The events after `last`; throws (which ends the stream) when the credential is no
    /// longer valid before, during or right after the poll, so no event is sent after that.
    func next(after last: Int64) async throws -> Conversations.WaitEventsResponse {
        let metadata = try await currentMetadata()
        let batch = try await withThrowingTaskGroup(of: Conversations.WaitEventsResponse?.self) { group in
            group.addTask {
                try await conversations.call(
                    Conversations.Service.waitConversationEvents,
                    Conversations.WaitConversationEventsRequest(afterSeq: last, waitMs: waitMs),
                    metadata: metadata, timeout: .milliseconds(Int64(waitMs) + 10_000))
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: recheckInterval)
                    _ = try await currentMetadata()
                }
            }
            // The watcher never returns: the first result is the poll's, or the watcher's
            // error, which cancels the poll (the RPC tells conversations to stop waiting).
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
        if !batch.events.isEmpty { _ = try await currentMetadata() }
        return batch
    }

    /// Call metadata with the credential's principal as identity answers now (at most the
    /// validator's cache age ago); throws `UNAUTHENTICATED` when it is no longer valid.
    func currentMetadata() async throws -> CallMetadata {
        let validated = try await validator.validate(
            credential, metadata: CallMetadata(requestID: requestID, caller: "gateway"))
        return CallMetadata(requestID: requestID, caller: "gateway", principal: validated.principal)
    }
}
