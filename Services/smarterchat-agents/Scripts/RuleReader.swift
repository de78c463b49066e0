import Foundation
import RPC

/// Where a tenant's JSON document (a script's content, handoff or qualification rules) is
/// wrong: a path such as `rules[2].pattern` and what is expected there.
struct RuleError: Error, Sendable, CustomStringConvertible {
    var path: String
    var message: String

    var description: String { path.isEmpty ? message : "\(path): \(message)" }

    /// `INVALID_ARGUMENT` naming the document, the path and the problem.
    func rpcError(in document: String) -> RPCError {
        RPCError(.invalidArgument, "\(document) is not valid: \(description)")
    }
}

/// Reads members of a JSON object and says where a member is wrong.
struct RuleReader {
    let members: [String: JSONValue]
    let path: String

    /// Parses `text` as a JSON object.
    init(text: String, path: String = "") throws(RuleError) {
        guard let value = JSONValue(text: text) else {
            throw RuleError(path: path, message: "is not valid JSON")
        }
        try self.init(value, path: path)
    }

    init(_ value: JSONValue, path: String) throws(RuleError) {
        guard case .object(let members) = value else {
            throw RuleError(path: path, message: "must be a JSON object")
        }
        self.members = members
        self.path = path
    }

    func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Refuses members other than `allowed` (a typo would otherwise silently do nothing).
    func only(_ allowed: Set<String>) throws(RuleError) {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw RuleError(
                path: at(unknown),
                message: "unknown member (expected one of \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ key: String, required: Bool = false, maxLength: Int = 2000) throws(RuleError) -> String? {
        guard let value = members[key], value != .null else {
            if required { throw RuleError(path: at(key), message: "is required") }
            return nil
        }
        guard case .string(let text) = value else { throw RuleError(path: at(key), message: "must be a string") }
        if required && text.isEmpty { throw RuleError(path: at(key), message: "must not be empty") }
        guard text.count <= maxLength else {
            throw RuleError(path: at(key), message: "must have at most \(maxLength) characters")
        }
        return text
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws(RuleError) -> Double? {
        guard let value = members[key], value != .null else { return nil }
        guard case .number(let number) = value else { throw RuleError(path: at(key), message: "must be a number") }
        guard range.contains(number) else {
            throw RuleError(
                path: at(key), message: "must be between \(format(range.lowerBound)) and \(format(range.upperBound))")
        }
        return number
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(RuleError) -> Int? {
        guard let number = try number(key, in: Double(range.lowerBound)...Double(range.upperBound)) else { return nil }
        guard number.rounded() == number else { throw RuleError(path: at(key), message: "must be an integer") }
        return Int(number)
    }

    func bool(_ key: String) throws(RuleError) -> Bool? {
        guard let value = members[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw RuleError(path: at(key), message: "must be true or false") }
        return flag
    }

    func strings(_ key: String, maxCount: Int = 100, maxLength: Int = 200) throws(RuleError) -> [String]? {
        guard let value = members[key], value != .null else { return nil }
        guard case .array(let items) = value else {
            throw RuleError(path: at(key), message: "must be an array of strings")
        }
        guard items.count <= maxCount else {
            throw RuleError(path: at(key), message: "must have at most \(maxCount) items")
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw RuleError(path: "\(at(key))[\(index)]", message: "must be a non-empty string")
            }
            guard text.count <= maxLength else {
                throw RuleError(path: "\(at(key))[\(index)]", message: "must have at most \(maxLength) characters")
            }
            result.append(text)
        }
        return result
    }

    /// The objects of an array member, each with its path.
    func objects(_ key: String, maxCount: Int = 50) throws(RuleError) -> [RuleReader]? {
        guard let value = members[key], value != .null else { return nil }
        guard case .array(let items) = value else {
            throw RuleError(path: at(key), message: "must be an array of objects")
        }
        guard items.count <= maxCount else {
            throw RuleError(path: at(key), message: "must have at most \(maxCount) items")
        }
        var readers: [RuleReader] = []
        for (index, item) in items.enumerated() {
            readers.append(try RuleReader(item, path: "\(at(key))[\(index)]"))
        }
        return readers
    }

    func object(_ key: String) throws(RuleError) -> RuleReader? {
        guard let value = members[key], value != .null else { return nil }
        return try RuleReader(value, path: at(key))
    }

    private func format(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }
}

/// Text compared the way people type it: lower case, without accents, single spaces.
enum Folded {
    static func text(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "pt_BR"))
            .lowercased()
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Whether `phrase` occurs in `text` as whole words (both folded).
    static func contains(_ text: String, phrase: String) -> Bool {
        let haystack = " " + words(text) + " ", needle = " " + words(phrase) + " "
        return needle.count > 2 && haystack.contains(needle)
    }

    private static func words(_ text: String) -> String {
        let folded = Folded.text(text)
        let cleaned = folded.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : " " }
        return String(cleaned).split(separator: " ").joined(separator: " ")
    }
}
