import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A fake of the channel providers' send APIs (WhatsApp Cloud, Instagram, Telegram) as a
/// real HTTP server on 127.0.0.1, recording every request it receives.
///
/// Paths as the real APIs: `POST /<version>/<phone-number-id | ig-id>/messages` (Graph: a
/// body with `messaging_product` is WhatsApp, else Instagram) and
/// `POST /bot<token>/sendMessage` (Telegram). Each answers like the provider, or with the
/// next scripted ``Reply`` when one is queued.
public final class FakeProviderServer: Sendable {
    /// One request as received.
    public struct Received: Sendable {
        public var path: String
        public var authorization: String?
        public var body: Data
        /// When it arrived.
        public var at: ContinuousClock.Instant
        /// The body as a JSON object.
        public var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        }
        /// The text sent (WhatsApp `text.body`, Instagram `message.text`, Telegram `text`).
        public var text: String? {
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
            return (object["text"] as? [String: Any])?["body"] as? String
                ?? (object["message"] as? [String: Any])?["text"] as? String ?? object["text"] as? String
        }
    }

    /// A scripted answer.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
        /// Hold the answer this long (the request is recorded on arrival).
        public var delay: Duration

        public init(status: Int, headers: [String: String] = [:], body: String, delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }
    }

    private let state = Mutex<(received: [Received], script: [(match: String, reply: Reply)], counter: Int)>(
        ([], [], 0))
    private let task = Mutex<Task<Void, any Error>?>(nil)
    /// The bound port (0 before ``start()``).
    public let port = Atomic<Int>(0)

    public init() {}

    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://127.0.0.1:\(port.load(ordering: .acquiring))" }

    /// Every request received so far.
    public var received: [Received] { state.withLock { $0.received } }

    /// Queues answers for the next requests whose path contains `match`, in order (tests
    /// running in parallel each use their own phone number id, account id or bot token).
    public func script(_ match: String, _ replies: Reply...) {
        state.withLock { $0.script.append(contentsOf: replies.map { (match, $0) }) }
    }

    /// The requests whose path contains `match`.
    public func received(matching match: String) -> [Received] {
        received.filter { $0.path.contains(match) }
    }

    /// Starts listening on a free port of 127.0.0.1.
    public func start() async throws {
        let router = Router()
        router.post("**") { request, _ -> Response in try await self.handle(request) }
        let ready = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in ready.continuation.yield(channel.localAddress?.port ?? 0) },
            logger: Self.quietLogger)
        task.withLock { $0 = Task { try await app.runService(gracefulShutdownSignals: []) } }
        for await bound in ready.stream {
            port.store(bound, ordering: .releasing)
            break
        }
    }

    /// Stops the server.
    public func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        _ = try? await running?.value
    }

    /// Stopping while a delayed answer is pending is expected: no error lines for it.
    private static var quietLogger: Logger {
        var logger = Logger(label: "fake-provider")
        logger.logLevel = .critical
        return logger
    }

    private func handle(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        let received = Received(
            path: request.uri.path, authorization: request.headers[.authorization], body: Data(body.readableBytesView),
            at: .now)
        let (reply, number) = state.withLock { state -> (Reply?, Int) in
            state.received.append(received)
            state.counter += 1
            guard let index = state.script.firstIndex(where: { received.path.contains($0.match) }) else {
                return (nil, state.counter)
            }
            return (state.script.remove(at: index).reply, state.counter)
        }
        let answer = reply ?? Self.success(for: received, number: number)
        if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        return Response(
            status: .init(code: answer.status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(string: answer.body)))
    }

    /// What the real API answers on success.
    static func success(for request: Received, number: Int) -> Reply {
        if request.path.hasSuffix("/sendMessage") {
            return Reply(
                status: 200,
                body:
                    #"{"ok":true,"result":{"message_id":\#(number),"date":1700000000,"chat":{"id":1,"type":"private"}}}"#
            )
        }
        let object = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any] ?? [:]
        if object["messaging_product"] != nil {
            if object["status"] as? String == "read" { return Reply(status: 200, body: #"{"success":true}"#) }
            let to = object["to"] as? String ?? ""
            return Reply(
                status: 200,
                body:
                    #"{"messaging_product":"whatsapp","contacts":[{"input":"\#(to)","wa_id":"\#(to)"}],"messages":[{"id":"wamid.FAKE\#(number)"}]}"#
            )
        }
        let recipient = (object["recipient"] as? [String: Any])?["id"] as? String ?? ""
        return Reply(status: 200, body: #"{"recipient_id":"\#(recipient)","message_id":"mid.FAKE\#(number)"}"#)
    }
}
