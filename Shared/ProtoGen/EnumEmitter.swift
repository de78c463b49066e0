/// Writes a proto enum as a Swift enum that keeps values it does not know.
struct EnumEmitter {
    func emit(_ e: EnumModel, into w: inout SourceWriter) {
        var seen = Set<Int32>()
        let cases = e.values.filter { seen.insert($0.number).inserted }.map {
            (
                name: EnumCases.caseName($0.name, enumName: e.name), proto: $0.name, number: $0.number,
                comment: $0.comment
            )
        }
        w.lines(Naming.docLines(e.comment, fallback: "The `\(e.fullName)` enum."))
        w.line("///")
        w.line("/// A value this build does not know (sent by a newer peer) is kept as `unrecognized`.")
        w.block("public enum \(e.name): RawRepresentable, CaseIterable, Sendable, Hashable, Codable {") { w in
            for c in cases {
                w.lines(Naming.docLines(c.comment, fallback: "`\(c.proto)` (\(c.number))."))
                w.line("case \(c.name)")
            }
            w.line("/// A value this build does not know.")
            w.line("case unrecognized(Int32)")
            w.line()
            w.line("/// The declared values, in declaration order.")
            w.line("public static var allCases: [Self] { [\(cases.map { "." + $0.name }.joined(separator: ", "))] }")
            w.line()
            w.line("/// The value for a wire number; unknown numbers become `unrecognized`.")
            w.block("public init(rawValue: Int32) {") { w in
                w.block("switch rawValue {", close: "}") { w in
                    for c in cases { w.line("case \(c.number): self = .\(c.name)") }
                    w.line("default: self = .unrecognized(rawValue)")
                }
            }
            w.line()
            w.line("/// The wire number.")
            w.block("public var rawValue: Int32 {") { w in
                w.block("switch self {") { w in
                    for c in cases { w.line("case .\(c.name): return \(c.number)") }
                    w.line("case .unrecognized(let value): return value")
                }
            }
            w.line()
            w.line("/// The name declared in the `.proto` file, `nil` for an unrecognized value.")
            w.block("public var protoName: String? {") { w in
                w.block("switch self {") { w in
                    for c in cases { w.line("case .\(c.name): return \(Naming.literal(c.proto))") }
                    w.line("case .unrecognized: return nil")
                }
            }
            w.line()
            w.line("/// Decodes the declared name or the wire number.")
            w.block("public init(from decoder: any Decoder) throws {") { w in
                w.line("let container = try decoder.singleValueContainer()")
                w.block("if let number = try? container.decode(Int32.self) {") { w in
                    w.line("self.init(rawValue: number)")
                    w.line("return")
                }
                w.line("let name = try container.decode(String.self)")
                w.block("guard let value = Self.allCases.first(where: { $0.protoName == name }) else {") { w in
                    w.line(
                        "throw DecodingError.dataCorruptedError(in: container, debugDescription: \"unknown \(e.name) value\")"
                    )
                }
                w.line("self = value")
            }
            w.line()
            w.line("/// Encodes the declared name, or the wire number when unrecognized.")
            w.block("public func encode(to encoder: any Encoder) throws {") { w in
                w.line("var container = encoder.singleValueContainer()")
                w.block("if let name = protoName {") { w in w.line("try container.encode(name)") }
                w.block("else {") { w in w.line("try container.encode(rawValue)") }
            }
        }
    }
}
