import Contracts
import Cryptography
import RPC
import Synchronization

/// Turns a bearer token into the principal it stands for, through identity's
/// `ValidateToken`, remembering each answer for a few seconds at most.
///
/// The cache is why a revocation or a deactivation can take up to ``maximumAge`` to reach the
/// gateway; it is never longer than the token's own remaining life. Only valid tokens are
/// cached, keyed by the token's SHA-256 so the raw token is not kept.
///
/// Refresh ahead: an answer past half its age is still used, and the first request to see it
/// so asks identity again in the background; a token found invalid then is dropped at once.
/// A busy client therefore never waits for `ValidateToken`, and no answer older than
/// ``maximumAge`` is ever used.
///
/// ``forget(_:)`` wins over answers already on their way: an answer asked for before a forget
/// (a background refresh, a console stream's recheck) is returned to its caller but not cached,
/// so it cannot bring a logged-out token back for another ``maximumAge``.
final class TokenValidator: Sendable {
    /// What a valid token stands for.
    struct Validated: Sendable, Equatable {
        var principal: Principal
        var sessionID: String
    }

    private struct Entry {
        var validated: Validated
        var expires: ContinuousClock.Instant
        var refreshAfter: ContinuousClock.Instant
        var refreshing = false
    }

    private let identity: any RPCCaller
    private let maximumAge: Duration
    private let capacity: Int
    private struct Cache {
        var entries: [TokenKey: Entry] = [:]
        /// How many forgets there have been: an answer is cached only if none came while it
        /// was asked for.
        var forgets: UInt64 = 0
    }

    private let cache = Mutex(Cache())

    /// - Parameters:
    ///   - identity: the identity service's client.
    ///   - maximumAge: how long an answer is reused (default 2 s).
    ///   - capacity: entries kept before expired ones are dropped (then all, if still full).
    init(identity: any RPCCaller, maximumAge: Duration = .seconds(2), capacity: Int = 10_000) {
        self.identity = identity
        self.maximumAge = maximumAge
        self.capacity = capacity
    }

    /// The principal of `token`; throws the RPC's `UNAUTHENTICATED` for an invalid one.
    func validate(_ token: String, metadata: CallMetadata) async throws -> Validated {
        let key = TokenKey(token)
        let now = ContinuousClock.now
        let hit = cache.withLock { cache -> (Validated, refresh: Bool)? in
            guard let entry = cache.entries[key], entry.expires > now else { return nil }
            guard !entry.refreshing, entry.refreshAfter <= now else { return (entry.validated, false) }
            cache.entries[key]?.refreshing = true
            return (entry.validated, true)
        }
        if let (validated, refresh) = hit {
            if refresh {
                Task {
                    do {
                        _ = try await self.ask(token, key: key, metadata: metadata)
                    } catch let error as RPCError where error.code == .unauthenticated {
                        _ = self.cache.withLock { $0.entries.removeValue(forKey: key) }
                    } catch {
                        self.cache.withLock { $0.entries[key]?.refreshing = false }
                    }
                }
            }
            return validated
        }
        return try await ask(token, key: key, metadata: metadata)
    }

    /// Asks identity and caches a valid answer.
    private func ask(_ token: String, key: TokenKey, metadata: CallMetadata) async throws -> Validated {
        let forgetsBefore = cache.withLock { $0.forgets }
        let response = try await identity.call(
            Identity.Service.validateToken, Identity.ValidateTokenRequest(accessToken: token), metadata: metadata,
            timeout: .seconds(5))
        let validated = Validated(
            principal: Principal(
                organizationId: response.organizationId, userId: response.userId, role: response.role,
                apiKeyId: response.apiKeyId, scopes: response.scopes,
                grants: response.grants),
            sessionID: response.sessionId)
        let age = min(maximumAge, .seconds(max(0, response.expiresIn)))
        let now = ContinuousClock.now
        if age > .zero {
            cache.withLock { cache in
                guard cache.forgets == forgetsBefore else { return }
                if cache.entries.count >= capacity {
                    cache.entries = cache.entries.filter { $0.value.expires > now }
                    if cache.entries.count >= capacity { cache.entries.removeAll(keepingCapacity: true) }
                }
                cache.entries[key] = Entry(validated: validated, expires: now + age, refreshAfter: now + age / 2)
            }
        }
        return validated
    }

    /// How many answers are cached now.
    var cachedCount: Int { cache.withLock { $0.entries.count } }

    /// Forgets a token at once (after a logout through this gateway), and keeps out every
    /// answer still on its way: any token's, since forgets are rare and a discarded answer
    /// costs one more `ValidateToken`.
    func forget(_ token: String) {
        let key = TokenKey(token)
        cache.withLock { cache in
            cache.entries.removeValue(forKey: key)
            cache.forgets &+= 1
        }
    }
}

/// A token's SHA-256, the cache's key: the raw token is not kept, and 32 bytes hash faster
/// than their 64 hex digits.
private struct TokenKey: Hashable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    init(_ token: String) {
        let digest = Digest.sha256(token.utf8)
        words = digest.withUnsafeBytes {
            (
                $0.loadUnaligned(as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            )
        }
    }

    static func == (lhs: TokenKey, rhs: TokenKey) -> Bool { lhs.words == rhs.words }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
