import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RPC
import ServiceLifecycle

/// A Server-Sent Events response fed by a long-poll RPC over conversation_events: each event
/// is `id: <seq>`, `event: <event_type>`, `data: <JSON>`; a comment every poll without events
/// keeps proxies from closing the connection. The stream ends after `lifetime` (the client's
/// EventSource reconnects with `Last-Event-ID` and resumes without gaps), when a poll fails
/// (for the console stream, also when its credential is no longer valid: ``ConsoleStreamPoll``),
/// or when the gateway shuts down gracefully.
enum ServerSentEvents {
    static let lastEventIDHeader = HTTPField.Name("Last-Event-ID")!

    /// The seq to resume after: `Last-Event-ID`, else `?last_event_id=`, else `otherwise` (0:
    /// from the first event, -1: from now).
    static func resumePoint(_ request: Request, otherwise: Int64 = 0) throws -> Int64 {
        guard let text = request.headers[lastEventIDHeader] ?? request.uri.queryParameters.get("last_event_id"),
            !text.isEmpty
        else { return otherwise }
        guard let seq = Int64(text), seq >= 0 else {
            throw APIError(status: .badRequest, code: "invalid_argument", message: "Last-Event-ID must be an event id")
        }
        return seq
    }

    /// Streams `first`'s events, then polls `next(lastSeq)` until `lifetime` passes.
    static func response(
        first: Conversations.WaitEventsResponse, lifetime: Duration, extraHeaders: HTTPFields = [:],
        logger: Logger, next: @escaping @Sendable (Int64) async throws -> Conversations.WaitEventsResponse
    ) -> Response {
        var headers: HTTPFields = [
            .contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no",
        ]
        headers.append(contentsOf: extraHeaders)
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let end = ContinuousClock.now + lifetime
                // With no event to send yet, an `id:` field alone (no data: no event fires)
                // still sets the client's last event id, so a reconnect resumes from here.
                let start = first.events.isEmpty && first.lastSeq > 0 ? "id: \(first.lastSeq)\n\n" : ""
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n" + start + encode(first.events)))
                var last = first.lastSeq
                while ContinuousClock.now < end, !Task.isCancelled, !Task.isShuttingDownGracefully {
                    let batch: Conversations.WaitEventsResponse
                    let after = last
                    do {
                        // A shutdown ends the poll at once: the client reconnects elsewhere.
                        batch = try await cancelWhenGracefulShutdown { try await next(after) }
                    } catch {
                        logger.debug("event stream ended", metadata: ["error": "\(error)"])
                        break
                    }
                    last = batch.lastSeq
                    try await writer.write(
                        ByteBuffer(string: batch.events.isEmpty ? ": keepalive\n\n" : encode(batch.events)))
                }
                try await writer.finish(nil)
            })
    }

    static func encode(_ events: [Conversations.ConversationEvent]) -> String {
        var text = ""
        for event in events {
            let fields: [String: Any] = [
                "seq": event.seq, "conversation_id": event.conversationId, "event_type": event.eventType,
                "actor_type": event.actorType, "actor_id": event.actorId, "created_at": event.createdAt,
                "payload": (try? JSONSerialization.jsonObject(with: Data(event.payloadJson.utf8))) ?? [:],
            ]
            let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
            let name = event.eventType.filter { !$0.isNewline }
            text += "id: \(event.seq)\nevent: \(name)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
        }
        return text
    }
}
