import Foundation
import Synchronization

/// What a reply reads of its agent — the agent's row and, when it answers, its scripts — kept
/// per replica for at most ``ttl``, so consecutive replies of an agent skip both queries.
///
/// Any write of this replica (an agent or script created, changed, published, deleted, its
/// key set or removed, a version restored) drops every entry, and a read that was under way
/// then is not kept (generations), so a change made here applies to the next reply. A change
/// made through another replica applies within ``ttl`` (default 1 s,
/// `SMARTERCHAT_AGENTS_REPLY_CACHE_MS`; 0 turns the reuse off).
///
/// Past ``ttl`` an entry still answers ``answeredLast(_:)``: whether the agent answered its
/// last reply here, a guess of whether the next one will, so the lead for its prompt can be
/// read beside the agent's row rather than after it. A wrong guess costs one unneeded crm
/// read, or the overlap; never a different reply.
final class ReplyConfigurations: Sendable {
    /// One agent as a reply read it.
    struct Entry: Sendable {
        var agent: AgentRecord
        /// Its scripts; nil when the agent did not answer then (they were not read).
        var scripts: [ScriptRecord]?
        var read: ContinuousClock.Instant
    }

    private struct State {
        var entries: [UUID: Entry] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    let ttl: Duration

    init(ttl: Duration) {
        self.ttl = ttl
    }

    /// The current generation: pass it to ``keep(_:scripts:readAt:generation:)`` for a read
    /// started now.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// The agent of `organizationID` as read less than ``ttl`` ago, if any.
    func fresh(_ agentID: UUID, organizationID: UUID) -> Entry? {
        guard ttl > .zero else { return nil }
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[agentID], entry.agent.organizationID == organizationID,
                now - entry.read < ttl
            else { return nil }
            return entry
        }
    }

    /// Whether the agent answered the last reply that read it here, however long ago.
    func answeredLast(_ agentID: UUID) -> Bool {
        state.withLock { $0.entries[agentID]?.agent.answers ?? false }
    }

    /// Keeps what a reply read, unless a write of this replica came since `generation`.
    func keep(
        _ agent: AgentRecord, scripts: [ScriptRecord]?, readAt read: ContinuousClock.Instant, generation: UInt64
    ) {
        state.withLock { state in
            guard state.generation == generation else { return }
            // Bounded: a replica serving very many agents starts over rather than grow.
            if state.entries.count >= 10_000, state.entries[agent.id] == nil { state.entries.removeAll() }
            state.entries[agent.id] = Entry(agent: agent, scripts: scripts, read: read)
        }
    }

    /// Drops every entry; reads under way are not kept.
    func dropAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
        }
    }
}
