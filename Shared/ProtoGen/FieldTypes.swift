/// Swift and C spellings for one field's value type, and the code converting between them.
struct ValueType {
    var kind: FieldKind
    /// The Swift type, e.g. `Int32`, `String`, `Common.HealthResponse`.
    var swift: String
    /// The C element type as Swift sees it, e.g. `Int32`, `UnsafeMutablePointer<CChar>?`.
    var cElement: String
    /// For message and enum values: the registry entry.
    var entry: TypeRegistry.Entry?

    init(kind: FieldKind, typeName: String, registry: TypeRegistry) throws {
        self.kind = kind
        switch kind {
        case .double: (swift, cElement) = ("Double", "Double")
        case .float: (swift, cElement) = ("Float", "Float")
        case .int32, .sint32, .sfixed32: (swift, cElement) = ("Int32", "Int32")
        case .int64, .sint64, .sfixed64: (swift, cElement) = ("Int64", "Int64")
        case .uint32, .fixed32: (swift, cElement) = ("UInt32", "UInt32")
        case .uint64, .fixed64: (swift, cElement) = ("UInt64", "UInt64")
        case .bool: (swift, cElement) = ("Bool", "protobuf_c_boolean")
        case .string: (swift, cElement) = ("String", "UnsafeMutablePointer<CChar>?")
        case .bytes: (swift, cElement) = ("Data", "ProtobufCBinaryData")
        case .enum:
            let e = try registry.entry(typeName)
            entry = e
            (swift, cElement) = (e.swiftName, e.cName)
        case .message:
            let e = try registry.entry(typeName)
            entry = e
            (swift, cElement) = (e.swiftName, "UnsafeMutablePointer<\(e.cName)>?")
        case .group:
            throw GeneratorError(description: "groups are not supported")
        }
    }

    /// Whether Swift and C hold the value in the same representation (copied with memcpy).
    var isTrivialCopy: Bool {
        switch kind {
        case .double, .float, .int32, .sint32, .sfixed32, .int64, .sint64, .sfixed64, .uint32, .fixed32,
            .uint64, .fixed64:
            return true
        default: return false
        }
    }

    /// The default value of the Swift type.
    var swiftDefault: String {
        switch kind {
        case .bool: return "false"
        case .string: return "\"\""
        case .bytes: return "Data()"
        case .enum:
            let zero = entry?.enumModel?.values.first { $0.number == 0 }
            return zero.map { "." + EnumCases.caseName($0.name, enumName: entry!.enumModel!.name) }
                ?? ".init(rawValue: 0)"
        case .message: return "\(swift)()"
        default: return "0"
        }
    }

    /// Swift code converting the Swift value `v` to its C representation (may use `arena`).
    func toC(_ v: String) -> String {
        switch kind {
        case .bool: return "(\(v) ? 1 : 0)"
        case .string: return "arena.cString(\(v))"
        case .bytes: return "arena.binary(\(v))"
        case .enum: return "\(cElement)(rawValue: .init(truncatingIfNeeded: \(v).rawValue))"
        case .message: return "arena.message(\(v))"
        default: return v
        }
    }

    /// Swift code converting the C value `x` to the Swift value.
    func fromC(_ x: String) -> String {
        switch kind {
        case .bool: return "(\(x) != 0)"
        case .string: return "ProtoRead.string(\(x))"
        case .bytes: return "ProtoRead.data(\(x))"
        case .enum: return "\(swift)(rawValue: Int32(truncatingIfNeeded: \(x).rawValue))"
        case .message: return "ProtoRead.message(\(x), as: \(swift).self)"
        default: return x
        }
    }
}

/// How enum value names become Swift case names.
enum EnumCases {
    /// `SERVING_STATUS_UNSPECIFIED` in `ServingStatus` → `unspecified`; `NOT_SERVING` → `notServing`.
    static func caseName(_ valueName: String, enumName: String) -> String {
        let prefix = Naming.upperSnake(enumName) + "_"
        var name = valueName
        if name.hasPrefix(prefix), let next = name.dropFirst(prefix.count).first, !next.isNumber {
            name = String(name.dropFirst(prefix.count))
        }
        let camel = Naming.lowerCamel(name)
        return camel == "unrecognized" ? "unrecognized_" : Naming.identifier(camel)
    }
}
