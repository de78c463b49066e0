/// Reads and writes PostgreSQL's one-dimensional array literal (`{a,"b,c",NULL}`).
enum PostgresArrayLiteral {
    /// Formats elements with every non-NULL element quoted, so no element needs inspection.
    static func format(_ elements: [String?]) -> String {
        var out = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { out += "," }
            guard let element else {
                out += "NULL"
                continue
            }
            out += "\""
            for character in element {
                if character == "\"" || character == "\\" { out += "\\" }
                out.append(character)
            }
            out += "\""
        }
        return out + "}"
    }

    /// Parses a one-dimensional array; `nil` when the text is not such an array.
    static func parse(_ text: String) -> [String?]? {
        var bytes = Substring(text).utf8[...]
        // A non-default lower bound is printed as `[2:3]={…}`: skip the decoration.
        if bytes.first == UInt8(ascii: "["), let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
            bytes = bytes[bytes.index(after: equals)...]
        }
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
        let body = Array(bytes.dropFirst().dropLast())
        if body.isEmpty { return [] }
        var result: [String?] = []
        var index = 0
        while index <= body.count {
            if index < body.count, body[index] == UInt8(ascii: "{") { return nil }  // multi-dimensional
            if index < body.count, body[index] == UInt8(ascii: "\"") {
                var value: [UInt8] = []
                index += 1
                while index < body.count, body[index] != UInt8(ascii: "\"") {
                    if body[index] == UInt8(ascii: "\\") { index += 1 }
                    guard index < body.count else { return nil }
                    value.append(body[index])
                    index += 1
                }
                guard index < body.count else { return nil }
                index += 1  // closing quote
                result.append(String(decoding: value, as: UTF8.self))
            } else {
                var value: [UInt8] = []
                while index < body.count, body[index] != UInt8(ascii: ",") {
                    value.append(body[index])
                    index += 1
                }
                let word = String(decoding: value, as: UTF8.self)
                result.append(word.uppercased() == "NULL" ? nil : word)
            }
            if index == body.count { break }
            guard body[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
        return result
    }
}
