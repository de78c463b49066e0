import Contracts
import Cryptography
import Foundation
import Postgres
import RPC

/// The secrets of a channel as `channels.config` keeps them: a JSON object whose members are
/// sealed with the key ring, each bound to its name and its channel
/// (`"conversations.channels.<name>:<channel id>"`), so a value copied to another member or
/// row does not open.
///
/// Reading a secret needs the key ring; without one (no `SMARTERCHAT_ENCRYPTION_KEYS`) a
/// channel that has secrets cannot be created or verified.
struct ChannelSecretBox: Sendable {
    /// The secrets a channel may hold, by their `config` member name.
    enum Name: String, CaseIterable, Sendable {
        case accessToken = "access_token"
        case appSecret = "app_secret"
        case verifyToken = "verify_token"
        case botToken = "bot_token"
        case secretToken = "secret_token"
    }

    /// Sealed values by member name.
    private(set) var sealed: [String: String]

    /// The box of a stored `config` (members that are not strings are ignored).
    init(config: PostgresJSON?) {
        let object = config.flatMap { try? JSONSerialization.jsonObject(with: $0.bytes) as? [String: Any] } ?? [:]
        sealed = object.compactMapValues { $0 as? String }.filter { Name(rawValue: $0.key) != nil }
    }

    /// Whether `name` is set.
    func has(_ name: Name) -> Bool { sealed[name.rawValue] != nil }

    /// Which secrets are set, as the API shows them.
    var summary: Conversations.ChannelSecretsSet {
        Conversations.ChannelSecretsSet(
            accessTokenSet: has(.accessToken), appSecretSet: has(.appSecret), verifyTokenSet: has(.verifyToken),
            botTokenSet: has(.botToken), secretTokenSet: has(.secretToken))
    }

    /// Opens `name`; nil when it is not set. Throws when the key ring is missing or the value
    /// does not open (a key removed from the ring, a tampered row).
    func open(_ name: Name, channelID: UUID, keyRing: KeyRing?) throws -> String? {
        guard let value = sealed[name.rawValue] else { return nil }
        guard let keyRing else {
            throw RPCError(.failedPrecondition, "channel secrets need encryption keys (SMARTERCHAT_ENCRYPTION_KEYS)")
        }
        do {
            return try keyRing.openText(value, associatedData: Self.associatedData(name, channelID: channelID))
        } catch {
            throw RPCError(.failedPrecondition, "a secret of this channel cannot be opened with the configured keys")
        }
    }

    /// Applies an operator's change: a present non-empty value is sealed and stored, an empty
    /// one removes the secret, an absent one leaves it.
    mutating func apply(
        _ secrets: Conversations.ChannelSecrets, channelID: UUID, keyRing: KeyRing?
    ) throws {
        let changes: [(Name, String?)] = [
            (.accessToken, secrets.accessToken), (.appSecret, secrets.appSecret),
            (.verifyToken, secrets.verifyToken), (.botToken, secrets.botToken), (.secretToken, secrets.secretToken),
        ]
        for (name, value) in changes {
            guard let value else { continue }
            if value.isEmpty {
                sealed[name.rawValue] = nil
                continue
            }
            guard value.utf8.count <= 4096 else {
                throw RPCError(.invalidArgument, "\(name.rawValue) must be at most 4096 bytes")
            }
            guard let keyRing else {
                throw RPCError(
                    .failedPrecondition, "channel secrets need encryption keys (SMARTERCHAT_ENCRYPTION_KEYS)")
            }
            sealed[name.rawValue] = try keyRing.sealText(
                value, associatedData: Self.associatedData(name, channelID: channelID))
        }
    }

    /// The `config` column value.
    var config: PostgresJSON {
        let data = (try? JSONSerialization.data(withJSONObject: sealed, options: [.sortedKeys])) ?? Data("{}".utf8)
        return PostgresJSON(text: String(decoding: data, as: UTF8.self))
    }

    static func associatedData(_ name: Name, channelID: UUID) -> String {
        "conversations.channels.\(name.rawValue):\(channelID.lowercasedString)"
    }
}
