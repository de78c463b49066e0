/// Accumulates indented source lines.
struct SourceWriter {
    var text = ""
    private var depth = 0

    mutating func line(_ s: String = "") {
        text += s.isEmpty ? "\n" : String(repeating: "    ", count: depth) + s + "\n"
    }

    mutating func indent() { depth += 1 }

    mutating func dedent() { depth -= 1 }

    mutating func lines(_ ss: [String]) { for s in ss { line(s) } }

    /// Writes `open`, the body one level deeper, then `close`.
    mutating func block(_ open: String, close: String = "}", _ body: (inout SourceWriter) throws -> Void) rethrows {
        line(open)
        depth += 1
        try body(&self)
        depth -= 1
        line(close)
    }
}
