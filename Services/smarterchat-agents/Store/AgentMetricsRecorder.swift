import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Synchronization

/// Keeps agents' reply metrics (`avg_response_time_ms`, `reply_count`,
/// `total_conversations`) current without a write on the reply's path: each reply is added
/// here in memory, and every ``interval`` one UPDATE per agent folds in what accumulated.
///
/// Every reply used to update its agent's one row before answering, so replies of the same
/// agent queued behind each other on that row's lock. Now the figures lag by at most
/// ``interval``; a crash loses at most that much of them (the replies themselves are
/// durable in conversations). Graceful shutdown flushes what is left.
final class AgentMetricsRecorder: Service, Sendable {
    struct Key: Hashable, Sendable {
        var agentID: UUID
        var organizationID: UUID
    }

    struct Pending: Sendable, Equatable {
        var replies = 0
        var totalMilliseconds = 0
        var conversations = 0
    }

    let interval: Duration
    private let database: PostgresClient
    private let logger: Logger
    private let pending = Mutex<[Key: Pending]>([:])

    init(database: PostgresClient, interval: Duration = .milliseconds(500), logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    /// Counts one reply of the agent: its time, and a conversation when it is the
    /// conversation's first AI reply.
    func record(agentID: UUID, organizationID: UUID, milliseconds: Int, firstOfConversation: Bool) {
        pending.withLock { pending in
            var entry = pending[Key(agentID: agentID, organizationID: organizationID), default: Pending()]
            entry.replies += 1
            entry.totalMilliseconds += max(0, milliseconds)
            if firstOfConversation { entry.conversations += 1 }
            pending[Key(agentID: agentID, organizationID: organizationID)] = entry
        }
    }

    /// What is waiting to be written (tests).
    var waiting: [Key: Pending] { pending.withLock { $0 } }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                await self.flush()
            }
        }
        await flush()
    }

    /// Writes what accumulated; what cannot be written now is kept for the next flush.
    func flush() async {
        let batch = pending.withLock { pending -> [Key: Pending] in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !batch.isEmpty else { return }
        do {
            try await database.withConnection { connection in
                for (key, entry) in batch {
                    try await AgentStore.recordReplies(
                        id: key.agentID, organizationID: key.organizationID, replies: entry.replies,
                        totalMilliseconds: entry.totalMilliseconds, conversations: entry.conversations,
                        on: connection)
                }
            }
        } catch {
            logger.warning("agent metrics not written; kept for the next flush", metadata: ["error": "\(error)"])
            pending.withLock { pending in
                for (key, entry) in batch {
                    var merged = pending[key, default: Pending()]
                    merged.replies += entry.replies
                    merged.totalMilliseconds += entry.totalMilliseconds
                    merged.conversations += entry.conversations
                    pending[key] = merged
                }
            }
        }
    }
}
