import Contracts
import Foundation
import Postgres
import RPC
import Synchronization

/// Copies organizations' message retention (`settings.conversations.message_retention_days`
/// in identity's organization settings, 30–3650 days) into `retention_settings`, where the
/// retention job reads it. The job refreshes every organization's copy before each run
/// (``refreshAll(requestID:)``, identity's service call `ListMessageRetention`), so a setting
/// applies whether or not anyone uses the console; an organization's copy is also refreshed
/// when its users list channels or open the live stream (with their own principal,
/// GetOrganizationSettings), at most every ten minutes, so a change shows sooner.
final class RetentionSettingsRecorder: Sendable {
    private let identity: (any RPCCaller)?
    private let database: PostgresClient
    private let interval: Duration
    private let checked = Mutex<[String: ContinuousClock.Instant]>([:])

    init(identity: (any RPCCaller)?, database: PostgresClient, interval: Duration = .seconds(600)) {
        self.identity = identity
        self.database = database
        self.interval = interval
    }

    /// Refreshes the caller's organization's copy when it is due; failures are ignored
    /// (the previous copy stays).
    func refresh(organizationID: UUID, context: RPCContext) async {
        guard let identity else { return }
        let key = organizationID.lowercased, now = ContinuousClock.now
        let due = checked.withLock { checked -> Bool in
            if let last = checked[key], now - last < interval { return false }
            checked[key] = now
            return true
        }
        guard due else { return }
        do {
            let settings = try await identity.call(
                Identity.Service.getOrganizationSettings, Identity.GetOrganizationSettingsRequest(),
                metadata: context.metadata, timeout: .seconds(2))
            if let days = Self.days(fromSettings: settings.settings) {
                try await database.execute(
                    """
                    INSERT INTO retention_settings (organization_id, message_retention_days) VALUES ($1, $2)
                    ON CONFLICT (organization_id) DO UPDATE
                    SET message_retention_days = EXCLUDED.message_retention_days, updated_at = CURRENT_TIMESTAMP
                    """, [organizationID, days])
            } else {
                try await database.execute(
                    "DELETE FROM retention_settings WHERE organization_id = $1", [organizationID])
            }
        } catch {
            // Tried again after the interval (an API key without organization:read, identity away).
        }
    }

    /// Replaces every organization's copy with identity's list (`ListMessageRetention`):
    /// organizations it lists get their days, the others go back to the default. Answers
    /// false, leaving the copies as they are, when identity does not answer (or predates the
    /// call): the job then applies the copies it has.
    @discardableResult
    func refreshAll(requestID: String = "retention") async -> Bool {
        guard let identity else { return false }
        let listed: Identity.ListMessageRetentionResponse
        do {
            listed = try await identity.call(
                Identity.Service.listMessageRetention, Identity.ListMessageRetentionRequest(),
                metadata: CallMetadata(requestID: requestID, caller: "conversations"), timeout: .seconds(10))
        } catch {
            return false
        }
        var ids: [UUID] = [], days: [Int] = []
        for organization in listed.organizations {
            guard let id = UUID(canonicalText: organization.organizationId), (30...3650).contains(organization.days)
            else { continue }
            ids.append(id)
            days.append(Int(organization.days))
        }
        do {
            try await database.withTransaction { connection in
                try await connection.execute(
                    "DELETE FROM retention_settings WHERE organization_id <> ALL($1::uuid[])", [ids])
                try await connection.execute(
                    """
                    INSERT INTO retention_settings (organization_id, message_retention_days)
                    SELECT * FROM unnest($1::uuid[], $2::int[])
                    ON CONFLICT (organization_id) DO UPDATE
                    SET message_retention_days = EXCLUDED.message_retention_days, updated_at = CURRENT_TIMESTAMP
                    WHERE retention_settings.message_retention_days <> EXCLUDED.message_retention_days
                    """, [ids, days])
            }
        } catch {
            return false
        }
        return true
    }

    /// `conversations.message_retention_days` of the settings JSON when it is 30–3650.
    static func days(fromSettings json: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let conversations = object["conversations"] as? [String: Any],
            let value = conversations["message_retention_days"] as? NSNumber
        else { return nil }
        let days = value.intValue
        return (30...3650).contains(days) && Double(days) == value.doubleValue ? days : nil
    }
}
