import Contracts
import Foundation
import RPC
import Synchronization

/// The organization's "return to AI after N minutes without operator activity" setting:
/// `settings.conversations.return_to_ai_after_minutes` in identity's organization settings
/// (a whole number of minutes, 1–10080; absent or 0 = never), read with the operator's own
/// principal (GetOrganizationSettings, organization:read) when they act, cached a minute per
/// organization, and copied onto the conversation so the scheduled job needs no call.
final class OperatorSettingsCache: Sendable {
    private let identity: any RPCCaller
    private let entries = Mutex<[String: (minutes: Int?, expires: ContinuousClock.Instant)]>([:])
    private let lifetime: Duration

    init(identity: any RPCCaller, lifetime: Duration = .seconds(60)) {
        self.identity = identity
        self.lifetime = lifetime
    }

    /// The setting for the caller's organization; nil (never) when identity does not answer
    /// or the caller may not read settings.
    func resumeAfterMinutes(context: RPCContext) async -> Int? {
        let organization = context.principal.organizationId
        let now = ContinuousClock.now
        if let cached = entries.withLock({ $0[organization] }), cached.expires > now { return cached.minutes }
        var minutes: Int? = nil
        do {
            let settings = try await identity.call(
                Identity.Service.getOrganizationSettings, Identity.GetOrganizationSettingsRequest(),
                metadata: context.metadata, timeout: .seconds(2))
            minutes = Self.minutes(fromSettings: settings.settings)
        } catch {
            // An API key without organization:read, or identity away: keep the previous value if any.
            if let cached = entries.withLock({ $0[organization] }) { return cached.minutes }
            return nil
        }
        entries.withLock { $0[organization] = (minutes, now + lifetime) }
        return minutes
    }

    /// Reads `conversations.return_to_ai_after_minutes` from the settings JSON.
    static func minutes(fromSettings json: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let conversations = object["conversations"] as? [String: Any],
            let value = conversations["return_to_ai_after_minutes"] as? NSNumber
        else { return nil }
        let minutes = value.intValue
        return (1...10080).contains(minutes) ? minutes : nil
    }
}
