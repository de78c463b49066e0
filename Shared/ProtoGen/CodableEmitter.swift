/// Writes a message's `Codable` conformance: proto snake_case names as keys, absent keys read
/// as defaults, a oneof's member under its own key (as proto3 JSON does).
struct CodableEmitter {
    func emit(_ plan: MessagePlan, into w: inout SourceWriter) {
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
