/// The token arithmetic of a prompt (docs/agents.md, "Token budget").
///
/// The runtime does not ship a tokenizer: it estimates a text at one token per 4 bytes of
/// UTF-8 (rounded up) plus 4 tokens per message for the chat format, which over-counts for
/// Portuguese and English text, so a prompt built within the estimate fits the real limit.
enum TokenBudget {
    /// The context windows of known model families, longest prefix first.
    static let contextWindows: [(prefix: String, tokens: Int)] = [
        ("gpt-4.1", 1_047_576), ("gpt-5", 400_000), ("gpt-4o", 128_000), ("gpt-4-turbo", 128_000),
        ("gpt-4-0125", 128_000), ("gpt-4-1106", 128_000), ("gpt-4-32k", 32_768), ("gpt-4", 8192),
        ("gpt-3.5-turbo", 16_385), ("o1", 200_000), ("o3", 200_000), ("o4", 200_000),
    ]

    /// Tokens held back for the reply format and rounding.
    static let margin = 64

    static func contextWindow(model: String, fallback: Int) -> Int {
        contextWindows.first { model.hasPrefix($0.prefix) }?.tokens ?? fallback
    }

    static func estimate(_ text: String) -> Int { (text.utf8.count + 3) / 4 }

    static func estimate(message content: String) -> Int { estimate(content) + 4 }

    /// The tokens left for history: the context window less the reply's `max_tokens`, the
    /// system prompt and tool definitions already counted in `fixed`, and the margin; capped
    /// by `historyCap`.
    static func historyBudget(contextWindow: Int, maxTokens: Int, fixed: Int, historyCap: Int) -> Int {
        max(0, min(historyCap, contextWindow - maxTokens - fixed - margin))
    }
}
