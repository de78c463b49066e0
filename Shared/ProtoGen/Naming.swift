/// How `.proto` names become Swift and protoc-c C names.
enum Naming {
    /// Swift namespaces for packages whose last component does not read well as one.
    static let namespaceOverrides: [String: String] = [
        "smarterchat.rpc": "Envelope",
        "smarterchat.crm": "CRM",
        "smarterchat.testing": "ContractsFixture",
    ]

    /// The Swift namespace enum for a proto package: `smarterchat.common` → `Common`.
    static func namespace(_ package: String) -> String {
        if let name = namespaceOverrides[package] { return name }
        return upperCamel(String(package.split(separator: ".").last ?? ""))
    }

    /// `database_reachable` → `DatabaseReachable`.
    static func upperCamel(_ snake: String) -> String {
        var out = ""
        var upperNext = true
        for ch in snake {
            if ch == "_" { upperNext = true; continue }
            out += upperNext ? ch.uppercased() : String(ch)
            upperNext = false
        }
        return out
    }

    /// `database_reachable` → `databaseReachable`; `INVALID_ARGUMENT` → `invalidArgument`.
    static func lowerCamel(_ snake: String) -> String {
        let isAllUpper = snake.allSatisfy { !$0.isLowercase }
        let upper = upperCamel(isAllUpper ? snake.lowercased() : snake)
        guard let first = upper.first else { return upper }
        return first.lowercased() + upper.dropFirst()
    }

    /// `ServingStatus` → `SERVING_STATUS`.
    static func upperSnake(_ camel: String) -> String {
        var out = ""
        for (i, ch) in camel.enumerated() {
            if ch.isUppercase && i > 0 { out += "_" }
            out += ch.uppercased()
        }
        return out
    }

    /// protoc-c's `ToCamel`: capitalises the first letter and every letter after `_`.
    static func cCamel(_ name: String) -> String { upperCamel(name) }

    /// protoc-c's `CamelToLower`: `HealthResponse` → `health_response`.
    static func cCamelToLower(_ name: String) -> String {
        var out = ""
        var wasUpper = true
        for ch in name {
            let isUpper = ch.isUppercase
            if isUpper {
                if !wasUpper { out += "_" }
                out += ch.lowercased()
            } else {
                out.append(ch)
            }
            wasUpper = isUpper
        }
        return out
    }

    /// protoc-c's `FullNameToC`: `smarterchat.common.HealthResponse` → `Smarterchat__Common__HealthResponse`.
    static func cTypeName(_ fullName: String) -> String {
        fullName.split(separator: ".").map { cCamel(String($0)) }.joined(separator: "__")
    }

    /// protoc-c's `FullNameToLower`: `smarterchat.common.HealthResponse` → `smarterchat__common__health_response`.
    static func cLowerName(_ fullName: String) -> String {
        fullName.split(separator: ".").map { cCamelToLower(String($0)) }.joined(separator: "__")
    }

    static let cKeywords: Set<String> = [
        "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char",
        "class", "compl", "const", "const_cast", "continue", "default", "delete", "do", "double",
        "dynamic_cast", "else", "enum", "explicit", "extern", "false", "float", "for", "friend", "goto",
        "if", "inline", "int", "long", "mutable", "namespace", "new", "not", "not_eq", "operator", "or",
        "or_eq", "private", "protected", "public", "register", "reinterpret_cast", "return", "short",
        "signed", "sizeof", "static", "static_cast", "struct", "switch", "template", "this", "throw",
        "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void",
        "volatile", "wchar_t", "while", "xor", "xor_eq",
    ]

    /// protoc-c's `FieldName`: the struct member holding a field.
    static func cMember(_ fieldName: String) -> String {
        let lower = fieldName.lowercased()
        return cKeywords.contains(lower) ? lower + "_" : lower
    }

    static let swiftKeywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch",
        "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
        "return", "throw", "switch", "where", "while", "Any", "as", "false", "is", "nil", "self", "Self",
        "super", "throws", "true", "try", "Type", "Protocol", "package",
    ]

    /// A Swift identifier, back-quoted when it is a keyword.
    static func identifier(_ name: String) -> String {
        swiftKeywords.contains(name) ? "`\(name)`" : name
    }

    /// `///` lines from a `.proto` comment, or `fallback` when there is none.
    static func docLines(_ comment: String, fallback: String) -> [String] {
        var lines = comment.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasPrefix(" ") ? String($0.dropFirst()) : String($0)
        }
        while lines.last?.trimmingWhitespace().isEmpty == true { lines.removeLast() }
        if lines.isEmpty { lines = [fallback] }
        return lines.map { $0.isEmpty ? "///" : "/// " + $0 }
    }

    /// A Swift string literal for `s`.
    static func literal(_ s: String) -> String {
        "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
