import CProtobufC
import ProtoGenC

/// The kinds of field the bridge knows, numbered as in `google.protobuf.FieldDescriptorProto.Type`.
enum FieldKind: Int32 {
    case double = 1, float = 2, int64 = 3, uint64 = 4, int32 = 5, fixed64 = 6, fixed32 = 7
    case bool = 8, string = 9, group = 10, message = 11, bytes = 12, uint32 = 13, `enum` = 14
    case sfixed32 = 15, sfixed64 = 16, sint32 = 17, sint64 = 18
}

/// A field as declared in a `.proto` file.
struct FieldModel {
    var name: String
    var number: Int32
    var kind: FieldKind
    var isRepeated: Bool
    /// Fully-qualified type name without the leading dot, for message and enum fields.
    var typeName: String
    var oneofIndex: Int?
    var comment: String
}

/// A oneof as declared; `fields` are indexes into the message's fields.
struct OneofModel {
    var name: String
    var fields: [Int]
    var comment: String
}

/// A message as declared, with its nested types.
struct MessageModel {
    var name: String
    var fullName: String
    var fields: [FieldModel]
    var oneofs: [OneofModel]
    var nested: [MessageModel]
    var enums: [EnumModel]
    var isMapEntry: Bool
    var comment: String
}

/// An enum as declared.
struct EnumModel {
    var name: String
    var fullName: String
    var values: [(name: String, number: Int32, comment: String)]
    var comment: String
}

/// A service block as declared.
struct ServiceModel {
    var name: String
    var fullName: String
    var methods: [(name: String, input: String, output: String, comment: String)]
    var comment: String
}

/// One `.proto` file.
struct FileModel {
    var name: String
    var package: String
    var messages: [MessageModel]
    var enums: [EnumModel]
    var services: [ServiceModel]
}

/// The generator cannot go on; the message says why.
struct GeneratorError: Error, CustomStringConvertible {
    var description: String
}

/// Reads a serialized `FileDescriptorSet` (from `protoc --descriptor_set_out --include_source_info`).
enum DescriptorSetReader {
    static func read(_ bytes: [UInt8]) throws -> [FileModel] {
        guard
            let set = bytes.withUnsafeBufferPointer({
                google__protobuf__file_descriptor_set__unpack(nil, $0.count, $0.baseAddress)
            })
        else { throw GeneratorError(description: "not a FileDescriptorSet") }
        defer { google__protobuf__file_descriptor_set__free_unpacked(set, nil) }
        return (0..<set.pointee.n_file).map { file(set.pointee.file[$0]!.pointee) }
    }

    private static func str(_ p: UnsafeMutablePointer<CChar>?) -> String {
        p.map { String(cString: $0) } ?? ""
    }

    private static func file(_ f: Google__Protobuf__FileDescriptorProto) -> FileModel {
        var comments: [[Int32]: String] = [:]
        if let info = f.source_code_info {
            for i in 0..<info.pointee.n_location {
                let loc = info.pointee.location[i]!.pointee
                let path = Array(UnsafeBufferPointer(start: loc.path, count: loc.n_path))
                let text = str(loc.leading_comments)
                if !text.isEmpty { comments[path] = text }
            }
        }
        let package = str(f.package)
        let messages = (0..<f.n_message_type).map {
            message(f.message_type[$0]!.pointee, scope: package, path: [4, Int32($0)], comments)
        }
        let enums = (0..<f.n_enum_type).map {
            enumModel(f.enum_type[$0]!.pointee, scope: package, path: [5, Int32($0)], comments)
        }
        let services = (0..<f.n_service).map { i -> ServiceModel in
            let s = f.service[i]!.pointee
            let name = str(s.name)
            let methods = (0..<s.n_method).map { j in
                let m = s.method[j]!.pointee
                return (
                    name: str(m.name), input: String(str(m.input_type).dropFirst()),
                    output: String(str(m.output_type).dropFirst()),
                    comment: comments[[6, Int32(i), 2, Int32(j)]] ?? ""
                )
            }
            return ServiceModel(
                name: name, fullName: package + "." + name, methods: methods,
                comment: comments[[6, Int32(i)]] ?? "")
        }
        return FileModel(
            name: str(f.name), package: package, messages: messages, enums: enums, services: services)
    }

    private static func message(
        _ d: Google__Protobuf__DescriptorProto, scope: String, path: [Int32], _ comments: [[Int32]: String]
    ) -> MessageModel {
        let name = str(d.name)
        let fullName = scope + "." + name
        let fields = (0..<d.n_field).map { i -> FieldModel in
            let f = d.field[i]!.pointee
            return FieldModel(
                name: str(f.name), number: f.number,
                kind: FieldKind(rawValue: Int32(truncatingIfNeeded: f.type.rawValue)) ?? .group,
                isRepeated: f.label.rawValue == 3,
                typeName: String(str(f.type_name).dropFirst()),
                oneofIndex: f.has_oneof_index != 0 ? Int(f.oneof_index) : nil,
                comment: comments[path + [2, Int32(i)]] ?? "")
        }
        let oneofs = (0..<d.n_oneof_decl).map { i in
            OneofModel(
                name: str(d.oneof_decl[i]!.pointee.name),
                fields: fields.indices.filter { fields[$0].oneofIndex == i },
                comment: comments[path + [8, Int32(i)]] ?? "")
        }
        let nested = (0..<d.n_nested_type).map {
            message(d.nested_type[$0]!.pointee, scope: fullName, path: path + [3, Int32($0)], comments)
        }
        let enums = (0..<d.n_enum_type).map {
            enumModel(d.enum_type[$0]!.pointee, scope: fullName, path: path + [4, Int32($0)], comments)
        }
        let isMapEntry = d.options.map { $0.pointee.has_map_entry != 0 && $0.pointee.map_entry != 0 } ?? false
        return MessageModel(
            name: name, fullName: fullName, fields: fields, oneofs: oneofs, nested: nested, enums: enums,
            isMapEntry: isMapEntry, comment: comments[path] ?? "")
    }

    private static func enumModel(
        _ d: Google__Protobuf__EnumDescriptorProto, scope: String, path: [Int32], _ comments: [[Int32]: String]
    ) -> EnumModel {
        let name = str(d.name)
        let values = (0..<d.n_value).map { i in
            let v = d.value[i]!.pointee
            return (name: str(v.name), number: v.number, comment: comments[path + [2, Int32(i)]] ?? "")
        }
        return EnumModel(name: name, fullName: scope + "." + name, values: values, comment: comments[path] ?? "")
    }
}
