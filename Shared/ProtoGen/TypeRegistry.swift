/// Every message and enum of the descriptor set, by fully-qualified proto name.
struct TypeRegistry {
    struct Entry {
        var package: String
        /// `Common.HealthResponse`.
        var swiftName: String
        /// `Smarterchat__Common__HealthResponse`.
        var cName: String
        /// `smarterchat__common__health_response`.
        var cLower: String
        var message: MessageModel?
        var enumModel: EnumModel?
    }

    private(set) var entries: [String: Entry] = [:]

    init(files: [FileModel]) {
        for file in files {
            let ns = Naming.namespace(file.package)
            for m in file.messages { add(m, package: file.package, swiftScope: ns) }
            for e in file.enums { add(e, package: file.package, swiftScope: ns) }
        }
    }

    private mutating func add(_ m: MessageModel, package: String, swiftScope: String) {
        let swiftName = swiftScope + "." + m.name
        entries[m.fullName] = Entry(
            package: package, swiftName: swiftName, cName: Naming.cTypeName(m.fullName),
            cLower: Naming.cLowerName(m.fullName), message: m, enumModel: nil)
        for n in m.nested { add(n, package: package, swiftScope: swiftName) }
        for e in m.enums { add(e, package: package, swiftScope: swiftName) }
    }

    private mutating func add(_ e: EnumModel, package: String, swiftScope: String) {
        entries[e.fullName] = Entry(
            package: package, swiftName: swiftScope + "." + e.name, cName: Naming.cTypeName(e.fullName),
            cLower: Naming.cLowerName(e.fullName), message: nil, enumModel: e)
    }

    func entry(_ fullName: String) throws -> Entry {
        guard let e = entries[fullName] else { throw GeneratorError(description: "unknown type \(fullName)") }
        return e
    }

    /// Whether the message `fullName` gets a generated JSON writer: none of its maps (nor of
    /// the messages it holds) has a non-string key — `JSONEncoder` writes such a map as an
    /// array of keys and values in the dictionary's own order, which no writer can repeat —
    /// and it has no oneof other than proto3 `optional`'s (no contract uses one yet; the
    /// fixture's is in a message with an int-keyed map, so a writer for it could not be tested).
    func writesJSON(_ fullName: String, visiting: Set<String> = []) -> Bool {
        guard !visiting.contains(fullName) else { return true }
        guard let m = entries[fullName]?.message else { return true }
        let presenceOnly = m.oneofs.allSatisfy { oneof in
            oneof.fields.count == 1 && m.fields.contains { "_" + $0.name == oneof.name }
        }
        guard presenceOnly else { return false }
        let visiting = visiting.union([fullName])
        for f in m.fields {
            if let entry = mapEntry(f) {
                guard entry.fields[0].kind == .string else { return false }
                if entry.fields[1].kind == .message, !writesJSON(entry.fields[1].typeName, visiting: visiting) {
                    return false
                }
            } else if f.kind == .message, !writesJSON(f.typeName, visiting: visiting) {
                return false
            }
        }
        return true
    }

    /// The map entry message of `field`, when it is a map.
    func mapEntry(_ field: FieldModel) -> MessageModel? {
        guard field.isRepeated, field.kind == .message, let m = entries[field.typeName]?.message,
            m.isMapEntry, m.fields.count == 2
        else { return nil }
        return m
    }

    /// The name of the C function returning a message's or service's descriptor address.
    static func accessor(_ cLower: String) -> String { "smarterchat_contracts__" + cLower }
}
