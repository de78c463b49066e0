/// Writes a `.proto` service block as `<Namespace>.Service`: its descriptor and one typed
/// method descriptor per method.
struct ServiceEmitter {
    var registry: TypeRegistry

    /// Methods whose name starts with one of these verbs may be retried on another replica.
    static let idempotentVerbs = ["Health", "Get", "List", "Find", "Count"]

    static func isIdempotent(_ method: String) -> Bool {
        idempotentVerbs.contains { verb in
            guard method.hasPrefix(verb) else { return false }
            let rest = method.dropFirst(verb.count)
            return rest.first.map { $0.isUppercase || $0.isNumber } ?? true
        }
    }

    func emit(_ s: ServiceModel, typeName: String, into w: inout SourceWriter) throws {
        w.lines(Naming.docLines(s.comment, fallback: "The `\(s.fullName)` service."))
        try w.block("public enum \(typeName) {") { w in
            w.line("/// The service block as libprotobuf-c describes it: name and declared methods.")
            w.line("public static let descriptor = ServiceDescriptor(")
            w.line("    protobufC: \(TypeRegistry.accessor(Naming.cLowerName(s.fullName)))())")
            for m in s.methods {
                let input = try registry.entry(m.input).swiftName
                let output = try registry.entry(m.output).swiftName
                w.line()
                w.lines(Naming.docLines(m.comment, fallback: "`\(s.fullName)/\(m.name)`."))
                w.line(
                    "public static let \(Naming.identifier(Naming.lowerCamel(m.name))) = MethodDescriptor<\(input), \(output)>("
                )
                w.line(
                    "    service: \(Naming.literal(s.fullName)), name: \(Naming.literal(m.name)), isIdempotent: \(Self.isIdempotent(m.name)))"
                )
            }
        }
    }
}
