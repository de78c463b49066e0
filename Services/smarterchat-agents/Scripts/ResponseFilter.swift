import Foundation

/// A `response_filter` script (docs/scripts.md): declarative rules applied in order to every
/// reply before it is sent.
///
/// ```json
/// {"rules": [{"type": "replace", "pattern": "R\\$ ?\\d+", "replacement": "[preço sob consulta]"},
///            {"type": "forbid", "phrases": ["garantia vitalícia"], "fallback": "..."},
///            {"type": "max_length", "max": 600},
///            {"type": "append", "text": "Equipe Acme"}]}
/// ```
struct ResponseFilter: Sendable {
    static let defaultForbiddenFallback =
        "Desculpe, não posso ajudar com isso por aqui. Posso ajudar com outra coisa?"

    enum Rule: Sendable {
        case replace(NSRegularExpressionBox, replacement: String)
        case forbid(phrases: [String], fallback: String)
        case maxLength(Int)
        case append(String)
    }

    var rules: [Rule]

    init(text: String) throws(RuleError) {
        let reader = try RuleReader(text: text)
        try reader.only(["rules"])
        guard let rules = try reader.objects("rules", maxCount: 20), !rules.isEmpty else {
            throw RuleError(path: "rules", message: "is required: an array of at least one rule")
        }
        self.rules = try rules.map { (rule: RuleReader) throws(RuleError) -> Rule in try Self.rule(rule) }
    }

    private static func rule(_ rule: RuleReader) throws(RuleError) -> Rule {
        let type = try rule.string("type", required: true) ?? ""
        switch type {
        case "replace":
            try rule.only(["type", "pattern", "replacement", "case_insensitive"])
            let pattern = try rule.string("pattern", required: true, maxLength: 200) ?? ""
            let replacement = try rule.string("replacement", maxLength: 1000) ?? ""
            let options: NSRegularExpression.Options =
                try rule.bool("case_insensitive") == true ? [.caseInsensitive] : []
            guard let expression = try? NSRegularExpression(pattern: pattern, options: options) else {
                throw RuleError(path: rule.at("pattern"), message: "is not a valid regular expression")
            }
            return .replace(NSRegularExpressionBox(expression), replacement: replacement)
        case "forbid":
            try rule.only(["type", "phrases", "fallback"])
            guard let phrases = try rule.strings("phrases"), !phrases.isEmpty else {
                throw RuleError(path: rule.at("phrases"), message: "is required: an array of phrases")
            }
            let fallback = try rule.string("fallback", maxLength: 1000) ?? defaultForbiddenFallback
            return .forbid(phrases: phrases, fallback: fallback)
        case "max_length":
            try rule.only(["type", "max"])
            guard let max = try rule.integer("max", in: 20...10_000) else {
                throw RuleError(path: rule.at("max"), message: "is required")
            }
            return .maxLength(max)
        case "append":
            try rule.only(["type", "text"])
            return .append(try rule.string("text", required: true, maxLength: 1000) ?? "")
        default:
            throw RuleError(path: rule.at("type"), message: "must be replace, forbid, max_length or append")
        }
    }

    /// `reply` after every rule, and what each rule that changed it did.
    func apply(to reply: String) -> (text: String, effects: [String]) {
        var text = reply, effects: [String] = []
        for rule in rules {
            switch rule {
            case .replace(let box, let replacement):
                let range = NSRange(text.startIndex..., in: text)
                guard let count = Self.matches(box.expression, in: text, range: range) else {
                    effects.append("replace: skipped, the pattern took longer than \(Self.matchTimeLimit) s")
                    continue
                }
                if count > 0 {
                    text = box.expression.stringByReplacingMatches(
                        in: text, range: range, withTemplate: replacement)
                    effects.append("replace: \(count) match(es)")
                }
            case .forbid(let phrases, let fallback):
                if let phrase = phrases.first(where: { Folded.text(text).contains(Folded.text($0)) }) {
                    text = fallback
                    effects.append("forbid: reply contained \"\(phrase)\"")
                }
            case .maxLength(let max):
                if text.count > max {
                    text = Self.cut(text, to: max)
                    effects.append("max_length: cut to \(max)")
                }
            case .append(let footer):
                text = text.isEmpty ? footer : text + "\n\n" + footer
                effects.append("append")
            }
        }
        return (text, effects)
    }

    /// How long one pattern may search a reply (a tenant's pattern may backtrack badly).
    static let matchTimeLimit = 0.1

    /// How many matches `expression` has in `text`; nil when the search ran past the time
    /// limit (ICU reports progress during a long match, where the search is stopped).
    static func matches(_ expression: NSRegularExpression, in text: String, range: NSRange) -> Int? {
        let deadline = Date().addingTimeInterval(matchTimeLimit)
        var count = 0, timedOut = false
        expression.enumerateMatches(in: text, options: [.reportProgress], range: range) { result, _, stop in
            if result != nil { count += 1 }
            if Date() > deadline {
                timedOut = true
                stop.pointee = true
            }
        }
        return timedOut ? nil : count
    }

    /// At most `max` characters, cut at a word boundary when one is near, ending with "…".
    static func cut(_ text: String, to max: Int) -> String {
        let prefix = String(text.prefix(max - 1))
        if let space = prefix.lastIndex(where: \.isWhitespace), prefix.distance(from: space, to: prefix.endIndex) < 40 {
            return String(prefix[..<space]).trimmingCharacters(in: .whitespaces) + "…"
        }
        return prefix + "…"
    }
}

/// An `NSRegularExpression` (immutable once built, documented thread-safe) as a Sendable value.
struct NSRegularExpressionBox: @unchecked Sendable {
    let expression: NSRegularExpression
    init(_ expression: NSRegularExpression) { self.expression = expression }
}
