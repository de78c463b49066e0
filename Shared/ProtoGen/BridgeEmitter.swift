/// Writes the code that moves a message between Swift and its protobuf-c C struct, field by
/// field, with no reflection and no `Codable` on the way.
struct BridgeEmitter {
    func emit(_ plan: MessagePlan, into w: inout SourceWriter) {
        let c = plan.entry.cName
        w.block("extension \(plan.entry.swiftName): CBridgedMessage {") { w in
            w.line("package typealias CMessage = \(c)")
            w.line()
            w.line("package static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> {")
            w.line("    \(TypeRegistry.accessor(plan.entry.cLower))()")
            w.line("}")
            w.line()
            w.line("/// Unpacks a message from its protobuf encoding; unknown fields are skipped.")
            w.block("public init(serializedBytes bytes: UnsafeRawBufferPointer) throws {") { w in
                w.line("self = try ProtoCodec.decode(Self.self, from: bytes)")
            }
            w.line()
            w.line("/// Packs the message and hands its protobuf encoding to `body`.")
            w.block("public func withSerializedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {")
            { w in
                w.line("try ProtoCodec.encode(self, body)")
            }
            w.line()
            emitRead(plan, into: &w)
            w.line()
            emitFill(plan, into: &w)
        }
    }

    private func emitRead(_ plan: MessagePlan, into w: inout SourceWriter) {
        w.block("package init(cMessage c: UnsafePointer<CMessage>) {") { w in
            w.line("self.init()")
            for f in plan.fields {
                let m = "c.pointee.\(f.cMember)"
                switch f.role {
                case .plain(let v):
                    w.line("self.\(f.swiftName) = \(v.fromC(m))")
                case .optionalMessage(let v):
                    w.line("if let p = \(m) { self.\(f.swiftName) = \(v.swift)(cMessage: p) }")
                case .presence(let v, let caseMember):
                    w.line(
                        "if c.pointee.\(caseMember).rawValue == \(f.model.number) { self.\(f.swiftName) = \(v.fromC(m)) }"
                    )
                case .repeated(let v):
                    if v.isTrivialCopy {
                        w.line("self.\(f.swiftName) = ProtoRead.array(\(m), count: c.pointee.n_\(f.cMember))")
                    } else {
                        w.line(
                            "self.\(f.swiftName) = ProtoRead.array(\(m), count: c.pointee.n_\(f.cMember)) { \(v.fromC("$0")) }"
                        )
                    }
                case .map(let k, let v, _):
                    w.block("if let entries = \(m), c.pointee.n_\(f.cMember) > 0 {") { w in
                        w.line("var map = \(f.propertyType)(minimumCapacity: c.pointee.n_\(f.cMember))")
                        w.block("for i in 0..<c.pointee.n_\(f.cMember) {") { w in
                            w.line("guard let e = entries[i] else { continue }")
                            w.line("map[\(k.fromC("e.pointee.key"))] = \(v.fromC("e.pointee.value"))")
                        }
                        w.line("self.\(f.swiftName) = map")
                    }
                case .oneofMember:
                    break
                }
            }
            for o in plan.oneofs {
                w.block("switch c.pointee.\(o.caseMember).rawValue {") { w in
                    for f in o.members {
                        w.line(
                            "case \(f.model.number): self.\(o.swiftName) = .\(f.swiftName)(\(f.value.fromC("c.pointee.\(f.cMember)")))"
                        )
                    }
                    w.line("default: break")
                }
            }
        }
    }

    private func emitFill(_ plan: MessagePlan, into w: inout SourceWriter) {
        w.block("package func fill(_ c: UnsafeMutablePointer<CMessage>, arena: inout ProtoArena) {") { w in
            w.line("c.initialize(to: CMessage())")
            w.line("c.pointee.base.descriptor = Self.cDescriptor")
            for f in plan.fields {
                let m = "c.pointee.\(f.cMember)"
                let s = "self.\(f.swiftName)"
                switch f.role {
                case .plain(let v):
                    w.line("\(m) = \(v.toC(s))")
                case .optionalMessage(let v):
                    w.line("if let v = \(s) { \(m) = \(v.toC("v")) }")
                case .presence(let v, let caseMember):
                    w.block("if let v = \(s) {") { w in
                        w.line("c.pointee.\(caseMember) = .init(rawValue: \(f.model.number))")
                        w.line("\(m) = \(v.toC("v"))")
                    }
                case .repeated(let v):
                    w.block("if !\(s).isEmpty {") { w in
                        w.line("c.pointee.n_\(f.cMember) = \(s).count")
                        if v.isTrivialCopy {
                            w.line("\(m) = arena.copy(\(s))")
                        } else {
                            w.line("let p = arena.allocate(\(v.cElement).self, count: \(s).count)")
                            w.line("for (i, v) in \(s).enumerated() { (p + i).initialize(to: \(v.toC("v"))) }")
                            w.line("\(m) = p")
                        }
                    }
                case .map(let k, let v, let entry):
                    w.block("if !\(s).isEmpty {") { w in
                        w.line("c.pointee.n_\(f.cMember) = \(s).count")
                        w.line("let p = arena.allocate(UnsafeMutablePointer<\(entry.cName)>?.self, count: \(s).count)")
                        w.block("for (i, kv) in \(s).sorted(by: { protoKeyPrecedes($0.key, $1.key) }).enumerated() {") {
                            w in
                            w.line("let e = arena.allocate(\(entry.cName).self, count: 1)")
                            w.line("e.initialize(to: \(entry.cName)())")
                            w.line("e.pointee.base.descriptor = \(TypeRegistry.accessor(entry.cLower))()")
                            w.line("e.pointee.key = \(k.toC("kv.key"))")
                            w.line("e.pointee.value = \(v.toC("kv.value"))")
                            w.line("(p + i).initialize(to: e)")
                        }
                        w.line("\(m) = p")
                    }
                case .oneofMember:
                    break
                }
            }
            for o in plan.oneofs {
                w.block("switch self.\(o.swiftName) {") { w in
                    for f in o.members {
                        w.line("case .\(f.swiftName)(let v)?:")
                        w.line("    c.pointee.\(o.caseMember) = .init(rawValue: \(f.model.number))")
                        w.line("    c.pointee.\(f.cMember) = \(f.value.toC("v"))")
                    }
                    w.line("case nil: break")
                }
            }
        }
    }
}
