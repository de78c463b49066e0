import Foundation
import RPC

/// Checks an agent's configuration before it is stored; each failure is `INVALID_ARGUMENT`
/// naming the field.
enum AgentInput {
    static let tones = ["professional", "friendly", "casual", "formal"]
    static let statuses = ["active", "inactive", "training"]

    /// A JSON object member given as text (`context_data`, `handoff_rules`, ...); empty is `{}`.
    static func object(_ text: String, field: String, maximumBytes: Int = 16 * 1024) throws -> JSONValue {
        if text.isEmpty { return .object([:]) }
        guard text.utf8.count <= maximumBytes else {
            throw RPCError(.invalidArgument, "\(field) is larger than \(maximumBytes / 1024) KiB")
        }
        guard let value = JSONValue(text: text), case .object = value else {
            throw RPCError(.invalidArgument, "\(field) must be a JSON object")
        }
        return value
    }

    static func validate(_ settings: AgentSettings, configuration: AgentsConfiguration) throws {
        try text(settings.name, "name", required: true, max: 255)
        try text(settings.description, "description", max: 5000)
        try text(settings.personality, "personality", required: true, max: 5000)
        try text(settings.objective, "objective", required: true, max: 5000)
        try text(settings.systemMessage, "system_message", required: true, max: 20_000)
        if !settings.avatarURL.isEmpty,
            settings.avatarURL.count > 500 || !settings.avatarURL.hasPrefix("https://")
                || settings.avatarURL.contains(where: \.isWhitespace)
        {
            throw RPCError(.invalidArgument, "avatar_url must be an https:// URL of at most 500 characters")
        }
        guard tones.contains(settings.tone) else {
            throw RPCError(.invalidArgument, "tone must be one of \(tones.joined(separator: ", "))")
        }
        if !settings.model.isEmpty {
            let allowed = settings.model.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || "._:/-".unicodeScalars.contains($0)
            }
            guard allowed, settings.model.count <= 50 else {
                throw RPCError(.invalidArgument, "model must be at most 50 characters of letters, digits and . _ : / -")
            }
        }
        guard (0...2).contains(settings.temperature), settings.temperature.isFinite else {
            throw RPCError(.invalidArgument, "temperature must be between 0 and 2")
        }
        guard (1...32_768).contains(settings.maxTokens) else {
            throw RPCError(.invalidArgument, "max_tokens must be between 1 and 32768")
        }
        guard !settings.languages.isEmpty, settings.languages.count <= 20 else {
            throw RPCError(.invalidArgument, "languages must name 1 to 20 languages")
        }
        for language in settings.languages where !isLanguageTag(language) {
            throw RPCError(
                .invalidArgument, "languages: \"\(language.prefix(20))\" is not a language tag such as pt-BR")
        }
        guard settings.languages.contains(settings.defaultLanguage) else {
            throw RPCError(.invalidArgument, "default_language must be one of languages")
        }
        do {
            _ = try HandoffRules(text: settings.handoffRules.text)
        } catch {
            throw error.rpcError(in: "handoff_rules")
        }
        do {
            _ = try QualificationRules(text: settings.leadQualificationRules.text)
        } catch {
            throw error.rpcError(in: "lead_qualification_rules")
        }
        try checkBaseURL(settings.providerBaseURL, allowPrivate: configuration.allowPrivateProviderURLs)
    }

    static func checkStatus(_ status: String) throws {
        guard statuses.contains(status) else {
            throw RPCError(.invalidArgument, "status must be one of \(statuses.joined(separator: ", "))")
        }
    }

    /// An http(s) URL without credentials, query or fragment; loopback and private addresses
    /// only when the platform allows them (development, self-hosted models).
    static func checkBaseURL(_ text: String, allowPrivate: Bool) throws {
        guard !text.isEmpty else { return }
        guard text.count <= 500, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = url.host?.lowercased(), !host.isEmpty,
            url.user == nil, url.password == nil, url.query == nil, url.fragment == nil
        else {
            throw RPCError(
                .invalidArgument,
                "provider_base_url must be an http(s) URL such as https://api.openai.com/v1, without credentials or query"
            )
        }
        if !allowPrivate && isPrivate(host: host) {
            throw RPCError(.invalidArgument, "provider_base_url may not point to a loopback or private address")
        }
    }

    static func isPrivate(host: String) -> Bool {
        let host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host.hasSuffix(".localhost") || host.hasSuffix(".local")
            || host.hasSuffix(".internal")
        {
            return true
        }
        let octets = host.split(separator: ".").compactMap { UInt8($0) }
        if octets.count == 4 {
            switch (octets[0], octets[1]) {
            case (10, _), (127, _), (0, _), (169, 254), (192, 168): return true
            case (172, let second) where (16...31).contains(second): return true
            case (100, let second) where (64...127).contains(second): return true
            default: return false
            }
        }
        if host.contains(":") {
            return host == "::1" || host == "::" || host.hasPrefix("fc") || host.hasPrefix("fd")
                || host.hasPrefix("fe80")
                || host.hasPrefix("::ffff:")
        }
        return false
    }

    private static func text(_ value: String, _ field: String, required: Bool = false, max: Int) throws {
        if required && value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw RPCError(.invalidArgument, "\(field) is required")
        }
        guard value.count <= max else {
            throw RPCError(.invalidArgument, "\(field) must have at most \(max) characters")
        }
    }

    private static func isLanguageTag(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard tag.count <= 10, let first = parts.first, (2...3).contains(first.count),
            first.allSatisfy({ $0.isASCII && $0.isLetter })
        else { return false }
        return parts.dropFirst().allSatisfy { part in
            (2...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }
}
