import Foundation
import NIOHTTP1
import Testing

@testable import AgentsService

@Suite("Runtime parts")
struct RuntimePartsTests {
    @Test("retry-after-ms wins over retry-after; seconds and HTTP dates are read; garbage is ignored")
    func retryAfter() {
        #expect(ProviderClient.retryAfter(["retry-after-ms": "250", "retry-after": "9"]) == .milliseconds(250))
        #expect(ProviderClient.retryAfter(["retry-after": "2"]) == .seconds(2))
        #expect(ProviderClient.retryAfter(["retry-after": "soon"]) == nil)
        #expect(ProviderClient.retryAfter([:]) == nil)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        let date = formatter.string(from: Date().addingTimeInterval(5))
        let wait = ProviderClient.retryAfter(["retry-after": date])
        #expect(wait != nil && wait! > .seconds(3) && wait! <= .seconds(5))
    }

    @Test("the provider's error code is kept only when it looks like one")
    func safeCode() {
        #expect(ProviderClient.safeCode("rate_limit_exceeded") == "rate_limit_exceeded")
        #expect(ProviderClient.safeCode("sk-abc key") == "error")
    }

    @Test("context windows by model family, the unknown ones from configuration")
    func contextWindows() {
        #expect(TokenBudget.contextWindow(model: "gpt-4.1-mini", fallback: 1) == 1_047_576)
        #expect(TokenBudget.contextWindow(model: "gpt-4o-mini", fallback: 1) == 128_000)
        #expect(TokenBudget.contextWindow(model: "gpt-4", fallback: 1) == 8192)
        #expect(TokenBudget.contextWindow(model: "llama3.1:8b", fallback: 4096) == 4096)
        #expect(TokenBudget.estimate("abcd") == 1 && TokenBudget.estimate("abcde") == 2)
        #expect(TokenBudget.historyBudget(contextWindow: 8192, maxTokens: 1000, fixed: 500, historyCap: 16_000) == 6628)
        #expect(
            TokenBudget.historyBudget(contextWindow: 1_000_000, maxTokens: 1000, fixed: 500, historyCap: 16_000)
                == 16_000)
        #expect(TokenBudget.historyBudget(contextWindow: 1000, maxTokens: 1000, fixed: 500, historyCap: 16_000) == 0)
    }

    @Test("a reply in a Markdown fence or as plain text is read; the JSON reply format is parsed")
    func analysis() {
        let fenced = ReplyAnalysis(
            content: "```json\n{\"reply\":\"Oi\",\"intent\":\"greeting\",\"confidence\":1.4}\n```")
        #expect(fenced.reply == "Oi" && fenced.intent == "greeting" && fenced.confidence == 1 && fenced.structured)
        let plain = ReplyAnalysis(content: "  Olá!  ")
        #expect(plain.reply == "Olá!" && !plain.structured && plain.confidence == nil)
        let other = ReplyAnalysis(content: #"{"answer": "x"}"#)
        #expect(other.reply == #"{"answer": "x"}"# && !other.structured)
    }

    @Test("keywords match whole words, ignoring case and accents")
    func folding() {
        #expect(Folded.contains("Quero falar com um ATENDENTE!", phrase: "atendente"))
        #expect(Folded.contains("Preciso do orcamento aprovado", phrase: "orçamento aprovado"))
        #expect(!Folded.contains("sou humanista", phrase: "humano"))
        #expect(!Folded.contains("qualquer coisa", phrase: ""))
    }

    @Test("private and loopback base URLs are recognised")
    func privateHosts() {
        for host in [
            "localhost", "127.0.0.1", "10.0.0.8", "172.16.3.4", "192.168.0.1", "169.254.169.254", "[::1]", "fd00::1",
        ] {
            #expect(AgentInput.isPrivate(host: host), "\(host)")
        }
        for host in ["api.openai.com", "8.8.8.8", "172.32.0.1"] {
            #expect(!AgentInput.isPrivate(host: host), "\(host)")
        }
    }

    @Test("the concurrency limiter holds a second caller until the first is done")
    func limiter() async throws {
        let limiter = OrganizationConcurrencyLimiter(limit: 1)
        let organization = UUID()
        let order = OrderRecorder()
        async let first: Void = limiter.withSlot(organizationID: organization) {
            await order.add("first start")
            try? await Task.sleep(for: .milliseconds(150))
            await order.add("first end")
        }
        try await Task.sleep(for: .milliseconds(20))
        async let second: Void = limiter.withSlot(organizationID: organization) { await order.add("second start") }
        // Another organization is not held.
        try await limiter.withSlot(organizationID: UUID()) { await order.add("other") }
        _ = try await (first, second)
        #expect(await order.items == ["first start", "other", "first end", "second start"])
        #expect(await limiter.running(organization) == 0)
    }
}

actor OrderRecorder {
    var items: [String] = []
    func add(_ item: String) { items.append(item) }
}

@Suite("Response filter limits")
struct ResponseFilterLimitTests {
    @Test("a pattern that backtracks catastrophically is stopped and skipped, the other rules still apply")
    func catastrophicPattern() throws {
        let filter = try ResponseFilter(
            text:
                #"{"rules": [{"type": "replace", "pattern": "(a+)+$", "replacement": "x"}, {"type": "append", "text": "fim"}]}"#
        )
        let started = ContinuousClock.now
        let (text, effects) = filter.apply(to: String(repeating: "a", count: 40) + "b")
        #expect(started.duration(to: .now) < .seconds(2))
        #expect(text.hasSuffix("\n\nfim") && text.hasPrefix("aaaa"))
        #expect(effects.first?.contains("skipped") == true)
    }
}

@Suite("Request shape by model")
struct RequestShapeTests {
    @Test(
        "reasoning models get no temperature",
        arguments: [("o3-mini", true), ("o1", true), ("gpt-5-mini", true), ("gpt-4.1-mini", false), ("ollama", false)])
    func reasoning(model: String, reasoning: Bool) {
        #expect(ReplyEngine.isReasoningModel(model) == reasoning)
    }
}

@Suite("Truncated reply format")
struct TruncatedReplyTests {
    @Test("a reply object cut short gives the reply text so far, never raw JSON")
    func truncated() {
        let cut = ReplyAnalysis(
            content: #"{"reply": "Olá, Maria! Temos \"planos\" a partir de R$ 99 e um período de tes"#)
        #expect(cut.reply == #"Olá, Maria! Temos "planos" a partir de R$ 99 e um período de tes"#)
        #expect(!cut.structured)
        let escapedEnd = ReplyAnalysis(content: #"{"reply": "linha\n"#)
        #expect(escapedEnd.reply == "linha")
        #expect(ReplyAnalysis(content: #"{"intent": "x""#).reply == #"{"intent": "x""#)
    }
}
