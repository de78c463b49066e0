/// Writes a message's Swift struct: properties, initialisers, nested types and `Codable`.
struct MessageEmitter {
    var registry: TypeRegistry

    /// The struct, its nested types included (written inside the namespace's extension).
    func emitDeclaration(_ m: MessageModel, into w: inout SourceWriter) throws {
        let plan = try MessagePlan(m, registry: registry)
        w.lines(Naming.docLines(m.comment, fallback: "The `\(m.fullName)` message."))
        try w.block("public struct \(m.name): ProtoMessage, Hashable {") { w in
            w.line("/// The fully-qualified protobuf name.")
            w.line("public static var protoName: String { \(Naming.literal(m.fullName)) }")
            w.line()
            for f in plan.fields {
                w.lines(Naming.docLines(f.model.comment, fallback: "The `\(f.model.name)` field (\(f.model.number))."))
                w.line("public var \(f.swiftName): \(f.propertyType) = \(f.propertyDefault)")
            }
            for o in plan.oneofs {
                w.lines(
                    Naming.docLines(
                        o.model.comment, fallback: "The `\(o.model.name)` oneof: at most one of its members is set."))
                w.line("public var \(o.swiftName): \(o.typeName)? = nil")
            }
            if !plan.fields.isEmpty || !plan.oneofs.isEmpty { w.line() }
            w.line("/// A message with every field at its proto3 default.")
            w.line("public init() {}")
            emitMemberwiseInit(plan, into: &w)
            for o in plan.oneofs { emitOneofEnum(o, into: &w) }
            for n in m.nested where !n.isMapEntry {
                w.line()
                try emitDeclaration(n, into: &w)
            }
            for e in m.enums {
                w.line()
                EnumEmitter().emit(e, into: &w)
            }
        }
    }

    /// The message's and its nested messages' Codable and bridge extensions, at file scope.
    func emitExtensions(_ m: MessageModel, into w: inout SourceWriter) throws {
        let plan = try MessagePlan(m, registry: registry)
        CodableEmitter().emit(plan, writesJSON: registry.writesJSON(m.fullName), into: &w)
        w.line()
        BridgeEmitter().emit(plan, into: &w)
        for n in m.nested where !n.isMapEntry {
            w.line()
            try emitExtensions(n, into: &w)
        }
    }

    private func emitMemberwiseInit(_ plan: MessagePlan, into w: inout SourceWriter) {
        guard !plan.fields.isEmpty || !plan.oneofs.isEmpty else { return }
        var params = plan.fields.map { "\($0.swiftName): \($0.propertyType) = \($0.propertyDefault)" }
        params += plan.oneofs.map { "\($0.swiftName): \($0.typeName)? = nil" }
        w.line()
        w.line("/// A message with the given fields; the others at their proto3 defaults.")
        w.line("public init(")
        w.indent()
        for (i, p) in params.enumerated() { w.line(p + (i == params.count - 1 ? "" : ",")) }
        w.dedent()
        w.block(") {") { w in
            for f in plan.fields { w.line("self.\(f.swiftName) = \(f.swiftName)") }
            for o in plan.oneofs { w.line("self.\(o.swiftName) = \(o.swiftName)") }
        }
    }

    private func emitOneofEnum(_ o: OneofPlan, into w: inout SourceWriter) {
        w.line()
        w.lines(Naming.docLines(o.model.comment, fallback: "The members of the `\(o.model.name)` oneof."))
        w.block("public enum \(o.typeName): Sendable, Hashable {") { w in
            for f in o.members {
                w.lines(Naming.docLines(f.model.comment, fallback: "The `\(f.model.name)` member (\(f.model.number))."))
                w.line("case \(f.swiftName)(\(f.value.swift))")
            }
        }
    }
}
