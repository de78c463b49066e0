import Access
import Contracts
import Foundation
import Postgres
import RPC

/// GetOrganizationSettings, UpdateOrganizationSettings: the organization's settings and
/// branding, each a JSON object.
extension IdentityHandlers {
    /// The largest settings, branding or preferences document accepted, in bytes of JSON text.
    static let maximumSettingsBytes = 16 * 1024

    func getOrganizationSettings(_ context: RPCContext) async throws -> Identity.OrganizationSettings {
        let caller = try AuthenticatedUser(context)
        try caller.require(.organizationRead)
        guard
            let found = try await database.withConnection({ connection in
                try await OrganizationSettingsStore.find(organizationID: caller.organizationID, on: connection)
            })
        else { throw RPCError(.notFound, "organization not found") }
        return found
    }

    /// Replaces settings and/or branding; the settings members other services read must be in
    /// range (``OrganizationSettingsStore/checkedMembers``), else INVALID_ARGUMENT naming it.
    func updateOrganizationSettings(
        _ request: Identity.UpdateOrganizationSettingsRequest, _ context: RPCContext
    ) async throws
        -> Identity.OrganizationSettings
    {
        let caller = try AuthenticatedUser(context)
        try caller.require(.organizationWrite)
        let settings = try request.settings.map { try Self.jsonObject($0, field: "settings") }
        let branding = try request.branding.map { try Self.jsonObject($0, field: "branding") }
        return try await database.withTransaction { connection in
            if let settings,
                let member = try await OrganizationSettingsStore.invalidMember(in: settings, on: connection)
            {
                throw RPCError(.invalidArgument, Self.invalidSettingMessage(member))
            }
            guard
                let updated = try await OrganizationSettingsStore.update(
                    organizationID: caller.organizationID, settings: settings, branding: branding, on: connection)
            else { throw RPCError(.notFound, "organization not found") }
            var changed: [String] = []
            if settings != nil { changed.append("settings") }
            if branding != nil { changed.append("branding") }
            try await AuditLog.record(
                .organizationSettingsUpdated, organizationID: caller.organizationID, userID: caller.userID,
                client: nil, details: ["changed": changed.joined(separator: " ")], on: connection)
            return updated
        }
    }

    /// What a refused member of the settings must be, named by its dotted path.
    static func invalidSettingMessage(_ member: String) -> String {
        guard let checked = OrganizationSettingsStore.checkedMembers.first(where: { $0.name == member }) else {
            return "settings.\(member) is not valid"
        }
        let never = checked.range.lowerBound == 0 ? " (0: never)" : ""
        return
            "settings.\(member) must be a whole number from \(checked.range.lowerBound) to \(checked.range.upperBound)\(never)"
    }

    /// `text` as a JSONB parameter when it is a JSON object of at most
    /// ``maximumSettingsBytes``; `INVALID_ARGUMENT` naming `field` otherwise.
    static func jsonObject(_ text: String, field: String) throws -> PostgresJSON {
        guard text.utf8.count <= maximumSettingsBytes else {
            throw RPCError(.invalidArgument, "\(field) must be at most \(maximumSettingsBytes) bytes of JSON")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)), object is [String: Any]
        else { throw RPCError(.invalidArgument, "\(field) must be a JSON object") }
        // jsonb refuses U+0000 in strings, and deep nesting costs the server stack: refuse both
        // here as the client's mistake rather than let PostgreSQL fail the update.
        guard storable(object, depth: 0) else {
            throw RPCError(
                .invalidArgument, "\(field) must nest at most \(maximumSettingsDepth) levels and hold no U+0000")
        }
        return PostgresJSON(text: text)
    }

    /// How deeply settings and branding may nest.
    static let maximumSettingsDepth = 32

    private static func storable(_ value: Any, depth: Int) -> Bool {
        guard depth <= maximumSettingsDepth else { return false }
        switch value {
        case let string as String:
            return !string.unicodeScalars.contains("\u{0}")
        case let object as [String: Any]:
            return object.allSatisfy {
                !$0.key.unicodeScalars.contains("\u{0}") && storable($0.value, depth: depth + 1)
            }
        case let array as [Any]:
            return array.allSatisfy { storable($0, depth: depth + 1) }
        default:
            return true
        }
    }
}
