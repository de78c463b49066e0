/// What a field becomes in Swift.
enum FieldRole {
    /// A plain proto3 field: a non-optional Swift property.
    case plain(ValueType)
    /// A singular message field: an Optional property.
    case optionalMessage(ValueType)
    /// A one-member oneof named `_<field>` (proto3 `optional`): an Optional property.
    case presence(ValueType, caseMember: String)
    /// A repeated field: an Array.
    case repeated(ValueType)
    /// A map: a Dictionary, packed sorted by key.
    case map(key: ValueType, value: ValueType, entry: TypeRegistry.Entry)
    /// A member of a general oneof: no property of its own.
    case oneofMember
}

/// One field, planned.
struct FieldPlan {
    var model: FieldModel
    var role: FieldRole
    /// The Swift property (or oneof case) name.
    var swiftName: String
    /// The C struct member.
    var cMember: String
    /// The Swift value type (for maps: the value type).
    var value: ValueType

    var propertyType: String {
        switch role {
        case .plain(let v): return v.swift
        case .optionalMessage(let v), .presence(let v, _): return v.swift + "?"
        case .repeated(let v): return "[\(v.swift)]"
        case .map(let k, let v, _): return "[\(k.swift): \(v.swift)]"
        case .oneofMember: return value.swift
        }
    }

    var propertyDefault: String {
        switch role {
        case .plain(let v): return v.swiftDefault
        case .optionalMessage, .presence: return "nil"
        case .repeated: return "[]"
        case .map: return "[:]"
        case .oneofMember: return value.swiftDefault
        }
    }
}

/// A general oneof, planned: a Swift enum and an Optional property.
struct OneofPlan {
    var model: OneofModel
    var typeName: String
    var swiftName: String
    var caseMember: String
    var members: [FieldPlan]
}

/// A message, planned.
struct MessagePlan {
    var model: MessageModel
    var entry: TypeRegistry.Entry
    var fields: [FieldPlan]
    var oneofs: [OneofPlan]

    init(_ m: MessageModel, registry: TypeRegistry) throws {
        model = m
        entry = try registry.entry(m.fullName)
        var fields: [FieldPlan] = []
        var oneofMembers: [Int: [FieldPlan]] = [:]
        for f in m.fields {
            let value: ValueType
            let role: FieldRole
            if let mapEntry = registry.mapEntry(f) {
                let key = try ValueType(
                    kind: mapEntry.fields[0].kind, typeName: mapEntry.fields[0].typeName, registry: registry)
                value = try ValueType(
                    kind: mapEntry.fields[1].kind, typeName: mapEntry.fields[1].typeName, registry: registry)
                role = .map(key: key, value: value, entry: try registry.entry(mapEntry.fullName))
            } else {
                value = try ValueType(kind: f.kind, typeName: f.typeName, registry: registry)
                if let index = f.oneofIndex {
                    let oneof = m.oneofs[index]
                    if oneof.fields.count == 1 && oneof.name == "_" + f.name {
                        role = .presence(value, caseMember: Naming.cCamelToLower(oneof.name) + "_case")
                    } else {
                        role = .oneofMember
                    }
                } else if f.isRepeated {
                    role = .repeated(value)
                } else if f.kind == .message {
                    role = .optionalMessage(value)
                } else {
                    role = .plain(value)
                }
            }
            let plan = FieldPlan(
                model: f, role: role, swiftName: Naming.identifier(Naming.lowerCamel(f.name)),
                cMember: Naming.cMember(f.name), value: value)
            if case .oneofMember = role {
                oneofMembers[f.oneofIndex!, default: []].append(plan)
            } else {
                fields.append(plan)
            }
        }
        self.fields = fields
        oneofs = m.oneofs.indices.compactMap { i in
            guard let members = oneofMembers[i] else { return nil }
            let o = m.oneofs[i]
            return OneofPlan(
                model: o, typeName: Naming.upperCamel(o.name),
                swiftName: Naming.identifier(Naming.lowerCamel(o.name)),
                caseMember: Naming.cCamelToLower(o.name) + "_case", members: members)
        }
    }
}
