import Contracts
import Foundation
import Postgres
import RPC
import Synchronization

/// Copies an organization's message retention (`settings.conversations.message_retention_days`
/// in identity's organization settings, 30–3650 days) into `retention_settings`, where the
/// retention job reads it. Identity's settings are read with a user's own principal
/// (GetOrganizationSettings needs organization:read), so the copy is refreshed when the
/// organization's users list channels or open the live stream, at most every ten minutes
/// per organization; a change therefore applies within minutes of someone using the console.
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
