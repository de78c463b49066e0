import Contracts
import Foundation
import TestSupport
import Testing

@testable import AgentsService

/// `make bench-reply` (issue 5's benchmark, agents' share): GenerateReply for 50 concurrent
/// conversations against the fake provider answering after a fixed 200 ms; the overhead of a
/// reply is its whole time less the time the provider held its request. Writes
/// bench/out/reply.json. Runs only with `SMARTERCHAT_BENCH_REPLY=1`.
@Suite("Reply benchmark")
struct ReplyBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["SMARTERCHAT_BENCH_REPLY"] == "1"

    @Test("overhead of the runtime around a 200 ms provider", .enabled(if: enabled))
    func overhead() async throws {
        let concurrency = 50, replies = Int(ProcessInfo.processInfo.environment["BENCH_REPLIES"] ?? "") ?? 1000
        var configuration = AgentsFixture.configuration
        configuration.concurrencyPerOrganization = concurrency
        let fixture = try await AgentsFixture.shared().with(configuration: configuration)
        let provider = try await FakeProvider.start()
        defer { provider.stop() }
        provider.setDefault(.delayed(.milliseconds(200), .analysis("Olá! Como posso ajudar?", intent: "greeting")))
        let admin = AgentsFixture.principal()
        let agent = try await fixture.liveAgent(as: admin, provider: provider)
        _ = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "m", type: "prompt_modifier", content: "Cliente: {{contact.name}} ({{date}})"),
            as: admin)
        _ = try await fixture.call(
            Agents.Service.createScript,
            Agents.CreateScriptRequest(
                agentId: agent.id, name: "f", type: "response_filter",
                content: #"{"rules":[{"type":"append","text":"— Acme"}]}"#), as: admin)
        let history = (0..<20).map { turn($0 % 2 == 0 ? "contact" : "ai", "mensagem \($0) da conversa") }
        // Warm-up, not counted: the provider connections and the database pool get opened.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask { _ = try await fixture.generate(agent, history: [turn("contact", "warm-up")]) }
            }
            try await group.waitForAll()
        }

        let totals = try await withThrowingTaskGroup(of: (Int, Duration).self) { group in
            var next = 0, totals: [Int: Duration] = [:]
            func launch(_ index: Int) {
                group.addTask {
                    let started = ContinuousClock.now
                    let reply = try await fixture.generate(
                        agent, history: [turn("contact", "bench-\(index)-marker")] + history)
                    #expect(reply.outcome == .replied)
                    return (index, started.duration(to: .now))
                }
            }
            while next < min(concurrency, replies) {
                launch(next)
                next += 1
            }
            while let (index, total) = try await group.next() {
                totals[index] = total
                if next < replies {
                    launch(next)
                    next += 1
                }
            }
            return totals
        }
        var held: [Int: Duration] = [:]
        for (text, duration) in provider.served {
            guard let range = text.range(of: "bench-"), let end = text[range.upperBound...].firstIndex(of: "-"),
                let index = Int(text[range.upperBound..<end])
            else { continue }
            held[index] = duration
        }
        let overheads = totals.compactMap { index, total in
            held[index].map {
                Double((total - $0).components.attoseconds) / 1e15 + Double((total - $0).components.seconds) * 1000
            }
        }.sorted()
        #expect(overheads.count == replies)
        func percentile(_ p: Double) -> Double { overheads[min(overheads.count - 1, Int(Double(overheads.count) * p))] }
        let result: [String: Any] = [
            "overhead_p50_ms": (percentile(0.50) * 100).rounded() / 100,
            "overhead_p99_ms": (percentile(0.99) * 100).rounded() / 100,
            "concurrency": concurrency, "replies": overheads.count, "provider_delay_ms": 200,
            "scope":
                "agents runtime: GenerateReply in process (agent and scripts read from PostgreSQL, prompt, "
                + "HTTP to the provider, parse, filters, metrics update); not yet the conversations reply worker "
                + "nor the channel send",
            "build": "debug (swift test)", "warm_up_replies": concurrency,
        ]
        let out = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bench/out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted])
            .write(to: out.appendingPathComponent("reply.json"))
        print("reply benchmark: \(result)")
    }
}
