import Foundation
import RPC

/// The providers' rules checked before a message is queued, so the operator gets a clear
/// error instead of a silent failure.
enum ChannelRules {
    /// WhatsApp's customer-service window and Instagram's standard window.
    static let window: TimeInterval = 24 * 3600
    /// Instagram's HUMAN_AGENT tag: human replies up to 7 days after the user's message.
    static let humanAgentWindow: TimeInterval = 7 * 24 * 3600

    /// What may be sent.
    enum Content: Sendable {
        case text(String)
        case template(name: String, language: String, parameters: [String])
    }

    /// FAILED_PRECONDITION / INVALID_ARGUMENT when `content` may not go to the contact now.
    /// `byOperator`: a human wrote it (Instagram's HUMAN_AGENT window applies).
    static func check(
        _ content: Content, channelType: String, lastContactMessageAt: Date?, byOperator: Bool, now: Date = Date()
    ) throws {
        let since = lastContactMessageAt.map { now.timeIntervalSince($0) }
        switch (channelType, content) {
        case ("whatsapp", .text):
            guard let since, since <= window else {
                throw RPCError(
                    .failedPrecondition,
                    "outside WhatsApp's 24-hour customer-service window (the contact last wrote "
                        + (since.map { "\(Int($0 / 3600)) hours ago" } ?? "never") + "): send an approved template")
            }
        case ("whatsapp", .template):
            return
        case (_, .template):
            throw RPCError(.invalidArgument, "templates exist on WhatsApp only")
        case ("instagram", .text(let text)):
            guard text.utf8.count <= 1000 else {
                throw RPCError(.invalidArgument, "Instagram messages are at most 1000 bytes")
            }
            let limit = byOperator ? humanAgentWindow : window
            guard let since, since <= limit else {
                throw RPCError(
                    .failedPrecondition,
                    byOperator
                        ? "outside Instagram's 7-day human agent window: wait for the contact to write"
                        : "outside Instagram's 24-hour messaging window")
            }
        default:
            return
        }
    }

    /// Whether an Instagram human reply needs the HUMAN_AGENT tag (past the standard window).
    static func needsHumanAgentTag(lastContactMessageAt: Date?, now: Date = Date()) -> Bool {
        guard let last = lastContactMessageAt else { return false }
        return now.timeIntervalSince(last) > window
    }
}
