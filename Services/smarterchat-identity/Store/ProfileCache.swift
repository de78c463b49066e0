import Contracts
import Foundation
import Synchronization

/// GetMe answers kept per user for at most ``maxAge`` on this replica, so that the most
/// frequent authenticated read (`GET /me`, polled by consoles) does not cost a query each time.
///
/// Any identity method that may change a user or an organization drops every entry when it
/// has run on this replica (``invalidateAll()``); an answer computed while such a change was
/// in flight is never stored (generations). A change made through another replica shows
/// here within ``maxAge`` — the same bound as the gateway's token cache, so a deactivated
/// user's token stops working before a stale profile could matter.
///
/// Refresh ahead: an answer past half its life is still served, and the first caller to see
/// it so is told to reload it in the background (``Lookup/stale``), so a user polling `/me`
/// never waits for the database while the bound above still holds.
final class ProfileCache: Sendable {
    /// What the cache has for a user.
    enum Lookup {
        /// A fresh answer.
        case fresh(Identity.GetMeResponse)
        /// An answer past half its life: serve it, and reload it in the background with
        /// ``store(_:for:generation:)`` (or ``refreshFailed(for:)``).
        case stale(Identity.GetMeResponse, generation: UInt64)
        /// Nothing usable: load it now.
        case miss
    }

    /// The longest an answer is reused.
    static let maxAge: Duration = .seconds(1)

    /// This cache's longest reuse (``maxAge`` unless a test asks for another).
    let lifetime: Duration

    init(lifetime: Duration = ProfileCache.maxAge) {
        self.lifetime = lifetime
    }
    /// Entries kept at most (the oldest half is dropped past it).
    static let capacity = 10_000

    private struct Entry {
        var response: Identity.GetMeResponse
        var expires: ContinuousClock.Instant
        var refreshing = false
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [UUID: Entry] = [:]
    }

    private let state = Mutex(State())

    /// The generation to pass to ``store(_:for:generation:)`` for an answer computed now.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// The cached answer for `userID`, if not expired (a plain read: it starts no refresh).
    func answer(for userID: UUID) -> Identity.GetMeResponse? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[userID], entry.expires > now else { return nil }
            return entry.response
        }
    }

    /// What the cache has for `userID`; `.stale` is answered once per refresh.
    func lookup(_ userID: UUID) -> Lookup {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[userID], entry.expires > now else { return .miss }
            guard !entry.refreshing, entry.expires - now < lifetime / 2 else { return .fresh(entry.response) }
            state.entries[userID]?.refreshing = true
            return .stale(entry.response, generation: state.generation)
        }
    }

    /// A background reload did not finish: the next caller past half-life tries again.
    func refreshFailed(for userID: UUID) {
        state.withLock { state in state.entries[userID]?.refreshing = false }
    }

    /// Keeps `response` unless a change ran since `generation` was read.
    func store(_ response: Identity.GetMeResponse, for userID: UUID, generation: UInt64) {
        let expires = ContinuousClock.now + lifetime
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= Self.capacity {
                let now = ContinuousClock.now
                state.entries = state.entries.filter { $0.value.expires > now }
                if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[userID] = Entry(response: response, expires: expires)
        }
    }

    /// Drops every entry and every answer being computed.
    func invalidateAll() {
        state.withLock { state in
            state.generation &+= 1
            if !state.entries.isEmpty { state.entries.removeAll(keepingCapacity: true) }
        }
    }
}
