import Foundation
import Synchronization

/// The channels of callback URLs as this replica last read them, reused for at most
/// ``maxAge``: a channel's callbacks (every inbound message and status of the channel) then
/// cost no query of their own before the ingest transaction. Web chat channels are kept by
/// their public id the same way (every visitor's message and long poll names it).
///
/// A channel write on this replica (create, update, delete) drops everything kept, and a read
/// that was under way at that moment is not kept (generations): a change made here applies to
/// the next callback. A change made through another replica (a rotated app secret, a deleted
/// channel) applies within ``maxAge``; a callback signed with a secret this replica does not
/// know yet is answered 401 and retried by the provider. Unknown channels are not kept.
final class CallbackChannels: Sendable {
    /// The longest a channel is reused.
    static let maxAge: Duration = .seconds(1)
    /// Channels kept at most (all are dropped past it).
    static let capacity = 10_000

    private enum Key: Hashable {
        case id(UUID)
        case webchat(publicID: String)
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [Key: (record: ChannelStore.Record, expires: ContinuousClock.Instant)] = [:]
    }

    /// This cache's reuse (``maxAge`` unless a test asks for another; zero keeps nothing).
    let lifetime: Duration
    private let state = Mutex(State())

    init(lifetime: Duration = CallbackChannels.maxAge) {
        self.lifetime = lifetime
    }

    /// The channel `id`: the kept one while fresh, else `load()`'s answer (kept when found).
    func channel(
        _ id: UUID, load: () async throws -> ChannelStore.Record?
    ) async throws
        -> ChannelStore.Record?
    {
        try await record(.id(id), load: load)
    }

    /// The web chat channel of `publicID`, as ``channel(_:load:)``.
    func webchat(
        publicID: String, load: () async throws -> ChannelStore.Record?
    ) async throws
        -> ChannelStore.Record?
    {
        try await record(.webchat(publicID: publicID), load: load)
    }

    private func record(
        _ key: Key, load: () async throws -> ChannelStore.Record?
    ) async throws
        -> ChannelStore.Record?
    {
        let now = ContinuousClock.now
        let (kept, generation) = state.withLock { state in
            (state.entries[key].flatMap { $0.expires > now ? $0.record : nil }, state.generation)
        }
        if let kept { return kept }
        let loaded = try await load()
        if let loaded, lifetime > .zero {
            state.withLock { state in
                guard state.generation == generation else { return }
                if state.entries.count >= Self.capacity { state.entries.removeAll() }
                state.entries[key] = (loaded, now + lifetime)
            }
        }
        return loaded
    }

    /// Forgets every channel (after a channel write on this replica).
    func dropAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
        }
    }
}
