/// Writes a message's `Codable` conformance: proto snake_case names as keys, absent keys read
/// as defaults, a oneof's member under its own key (as proto3 JSON does).
struct CodableEmitter {
    func emit(_ plan: MessagePlan, writesJSON: Bool, into w: inout SourceWriter) {
        emitCodable(plan, into: &w)
        if writesJSON {
            w.line()
            emitJSONWriter(plan, into: &w)
        }
    }

    /// `ProtoJSONWritable`: the bytes `JSONEncoder` (`.sortedKeys`) writes from the Codable
    /// conformance above, members in their keys' byte order.
    private func emitJSONWriter(_ plan: MessagePlan, into w: inout SourceWriter) {
        // Only messages without oneofs other than `optional`'s get here (TypeRegistry.writesJSON).
        let fields = plan.fields.sorted {
            Array($0.model.name.utf8).lexicographicallyPrecedes(Array($1.model.name.utf8))
        }
        w.block("extension \(plan.entry.swiftName): ProtoJSONWritable {") { w in
            w.line("/// Writes the message as JSON: the bytes `JSONEncoder` with `.sortedKeys` writes.")
            w.block("public func writeJSON(to w: inout ProtoJSONWriter) {") { w in
                w.line("var comma = false")
                w.line("w.beginObject(&comma)")
                for f in fields {
                    let key = "w.key(\(Naming.literal(f.model.name)), &comma)"
                    switch f.role {
                    case .plain(let v):
                        w.line("\(key); \(Self.value(v, "self.\(f.swiftName)"))")
                    case .optionalMessage(let v), .presence(let v, _):
                        w.line("if let v = self.\(f.swiftName) { \(key); \(Self.value(v, "v")) }")
                    case .repeated(let v):
                        w.line("\(key); w.array(self.\(f.swiftName)) { w, v in \(Self.value(v, "v")) }")
                    case .map(_, let v, _):
                        w.line("\(key); w.map(self.\(f.swiftName)) { w, v in \(Self.value(v, "v")) }")
                    case .oneofMember:
                        break
                    }
                }
                w.line("w.endObject()")
            }
        }
    }

    /// The writer call for value `v` of type `type`.
    private static func value(_ type: ValueType, _ v: String) -> String {
        switch type.kind {
        case .double, .float: return "w.number(\(v))"
        case .bool: return "w.bool(\(v))"
        case .string: return "w.string(\(v))"
        case .bytes: return "w.data(\(v))"
        case .enum: return "w.enumeration(name: \(v).protoName, number: \(v).rawValue)"
        case .message: return "w.message(\(v))"
        default: return "w.integer(\(v))"
        }
    }

    private func emitCodable(_ plan: MessagePlan, into w: inout SourceWriter) {
        let name = plan.entry.swiftName
        let all = plan.fields + plan.oneofs.flatMap(\.members)
        w.block("extension \(name) {") { w in
            if !all.isEmpty {
                w.block("private enum CodingKeys: String, CodingKey {") { w in
                    for f in all { w.line("case \(f.swiftName) = \(Naming.literal(f.model.name))") }
                }
                w.line()
            }
            w.line("/// Decodes the message from its JSON form; absent keys take their defaults.")
            w.block("public init(from decoder: any Decoder) throws {") { w in
                w.line("self.init()")
                guard !all.isEmpty else { return }
                w.line("let keys = try decoder.container(keyedBy: CodingKeys.self)")
                for f in plan.fields {
                    let type: String
                    switch f.role {
                    case .optionalMessage(let v), .presence(let v, _): type = v.swift
                    default: type = f.propertyType
                    }
                    w.line(
                        "if let v = try keys.decodeIfPresent(\(type).self, forKey: .\(f.swiftName)) { self.\(f.swiftName) = v }"
                    )
                }
                for o in plan.oneofs {
                    for (i, f) in o.members.enumerated() {
                        let kw = i == 0 ? "if" : "} else if"
                        w.line(
                            "\(kw) let v = try keys.decodeIfPresent(\(f.value.swift).self, forKey: .\(f.swiftName)) {")
                        w.line("    self.\(o.swiftName) = .\(f.swiftName)(v)")
                    }
                    w.line("}")
                }
            }
            w.line()
            w.line("/// Encodes the message as JSON: every field, a oneof as its set member.")
            w.block("public func encode(to encoder: any Encoder) throws {") { w in
                guard !all.isEmpty else {
                    w.line("_ = encoder.container(keyedBy: ProtoEmptyCodingKey.self)")
                    return
                }
                w.line("var keys = encoder.container(keyedBy: CodingKeys.self)")
                for f in plan.fields {
                    switch f.role {
                    case .optionalMessage, .presence:
                        w.line("try keys.encodeIfPresent(self.\(f.swiftName), forKey: .\(f.swiftName))")
                    default:
                        w.line("try keys.encode(self.\(f.swiftName), forKey: .\(f.swiftName))")
                    }
                }
                for o in plan.oneofs {
                    w.block("switch self.\(o.swiftName) {") { w in
                        for f in o.members {
                            w.line("case .\(f.swiftName)(let v)?: try keys.encode(v, forKey: .\(f.swiftName))")
                        }
                        w.line("case nil: break")
                    }
                }
            }
        }
    }
}
