import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// An OpenAI-compatible Chat Completions server on 127.0.0.1 (real HTTP, `POST /v1/chat/completions`)
/// that records every request and answers as the test scripts it: completions with content
/// or tool calls, any status with headers (429 with retry-after, 500s), delays, raw bodies.
public final class FakeChatCompletionsProvider: Sendable {
    /// One scripted answer.
    public indirect enum Reply: Sendable {
        /// 200 with a chat completion: content and/or tool calls `(name, arguments JSON)`.
        case completion(content: String?, toolCalls: [ToolCall], promptTokens: Int, completionTokens: Int)
        /// Any status with a body and headers.
        case status(Int, body: String, headers: [String: String])
        /// 200 with this body as is (e.g. malformed JSON).
        case raw(String)
        /// Waits, then answers.
        case delayed(Duration, Reply)

        public static func content(_ text: String, promptTokens: Int = 50, completionTokens: Int = 10) -> Reply {
            .completion(content: text, toolCalls: [], promptTokens: promptTokens, completionTokens: completionTokens)
        }

        /// The reply format: `{"reply", "intent", "confidence", "sentiment", "entities"}`.
        public static func analysis(
            _ reply: String, intent: String = "", confidence: Double = 0.9, sentiment: String = "neutral",
            entities: [[String: String]] = []
        ) -> Reply {
            let object: [String: Any] = [
                "reply": reply, "intent": intent, "confidence": confidence, "sentiment": sentiment,
                "entities": entities,
            ]
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return .content(String(decoding: data, as: UTF8.self))
        }

        public static func tools(_ calls: [ToolCall]) -> Reply {
            .completion(content: nil, toolCalls: calls, promptTokens: 40, completionTokens: 8)
        }

        public static func error(_ status: Int, code: String, headers: [String: String] = [:]) -> Reply {
            .status(
                status,
                body:
                    #"{"error":{"message":"Incorrect API key provided: sk-te***********ret1","type":"x","param":null,"code":"\#(code)"}}"#,
                headers: headers)
        }
    }

    public struct ToolCall: Sendable {
        public var name: String
        public var arguments: String

        public init(name: String, arguments: String) {
            self.name = name
            self.arguments = arguments
        }
    }

    /// A request the server received.
    public struct Received: Sendable {
        public var path: String
        public var authorization: String
        public var body: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        }
        public var text: String
        public var messages: [[String: Any]] { body["messages"] as? [[String: Any]] ?? [] }
    }

    /// How long the server held each request (body read to response built), with its text.
    public var served: [(text: String, duration: Duration)] { servedTimes.withLock { $0 } }
    private let servedTimes = Mutex<[(text: String, duration: Duration)]>([])
    /// Answers every request not scripted (default: `.analysis("ok")`).
    public func setDefault(_ reply: Reply) { defaultReply.withLock { $0 = reply } }
    private let defaultReply = Mutex<Reply>(.analysis("ok"))

    private let state = Mutex<(replies: [Reply], received: [Received])>(([], []))
    public let port: Int
    private let task: Task<Void, any Error>

    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// What the server received, in order.
    public var received: [Received] { state.withLock { $0.received } }

    /// Queues answers, used in order (then a plain "ok" reply).
    public func script(_ replies: Reply...) { state.withLock { $0.replies += replies } }

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    /// Starts a server; stop it with ``stop()``.
    public static func start() async throws -> FakeChatCompletionsProvider {
        let holder = FakeProviderHolder()
        let router = Router()
        router.post("v1/chat/completions") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 4 * 1024 * 1024)
            guard let provider = holder.provider.withLock({ $0 }) else { return Response(status: .serviceUnavailable) }
            return try await provider.answer(
                Received(
                    path: request.uri.path, authorization: request.headers[.authorization] ?? "",
                    text: String(buffer: body)))
        }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "FakeProvider")
        // Cancelling the server at the end of a test is expected: keep it quiet.
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }, logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var port = 0
        for await value in stream { port = value }
        let provider = FakeChatCompletionsProvider(port: port, task: task)
        holder.provider.withLock { $0 = provider }
        return provider
    }

    public func stop() { task.cancel() }

    private func answer(_ received: Received) async throws -> Response {
        let started = ContinuousClock.now
        let fallback = defaultReply.withLock { $0 }
        let reply = state.withLock { state -> Reply in
            state.received.append(received)
            return state.replies.isEmpty ? fallback : state.replies.removeFirst()
        }
        let response = try await Self.response(reply)
        let duration = started.duration(to: .now)
        servedTimes.withLock { $0.append((received.text, duration)) }
        return response
    }

    private static func response(_ reply: Reply) async throws -> Response {
        switch reply {
        case .delayed(let wait, let then):
            try await Task.sleep(for: wait)
            return try await response(then)
        case .raw(let text):
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        case .status(let code, let body, let headers):
            var fields: HTTPFields = [.contentType: "application/json"]
            for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
            return Response(
                status: .init(code: code), headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
        case .completion(let content, let calls, let promptTokens, let completionTokens):
            var message: [String: Any] = ["role": "assistant", "content": content ?? NSNull()]
            if !calls.isEmpty {
                message["tool_calls"] = calls.enumerated().map { index, call in
                    [
                        "id": "call_\(index)_\(UUID().uuidString.prefix(6))", "type": "function",
                        "function": ["name": call.name, "arguments": call.arguments],
                    ] as [String: Any]
                }
            }
            let object: [String: Any] = [
                "id": "chatcmpl-test", "object": "chat.completion", "created": 1_726_012_687, "model": "fake-model-1",
                "choices": [
                    ["index": 0, "message": message, "finish_reason": calls.isEmpty ? "stop" : "tool_calls"]
                ],
                "usage": [
                    "prompt_tokens": promptTokens, "completion_tokens": completionTokens,
                    "total_tokens": promptTokens + completionTokens,
                ],
            ]
            let data = try JSONSerialization.data(withJSONObject: object)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}

/// Lets the router reach the provider created after it.
final class FakeProviderHolder: Sendable {
    let provider = Mutex<FakeChatCompletionsProvider?>(nil)
}
