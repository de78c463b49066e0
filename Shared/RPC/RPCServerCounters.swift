import Synchronization

/// Live counters of an ``RPCServer``, for tests, health and metrics.
public final class RPCServerCounters: Sendable {
    private let open = Atomic<Int>(0)
    private let running = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let badFrames = Atomic<Int>(0)
    private let unknownMethods = Atomic<Int>(0)

    init() {}

    /// Connections currently open.
    public var openConnections: Int { open.load(ordering: .relaxed) }
    /// Handler tasks that have started and not yet returned (cancelled ones included until
    /// they return).
    public var handlersRunning: Int { running.load(ordering: .relaxed) }
    /// Connections refused by the peer-credential check.
    public var refusedConnections: Int { refused.load(ordering: .relaxed) }
    /// Connections closed for garbage, truncated, oversized or out-of-protocol frames.
    public var badInputClosures: Int { badFrames.load(ordering: .relaxed) }
    /// Calls answered UNIMPLEMENTED.
    public var unimplementedCalls: Int { unknownMethods.load(ordering: .relaxed) }

    func connectionOpened() { open.add(1, ordering: .relaxed) }
    func connectionClosed() { open.subtract(1, ordering: .relaxed) }
    func callStarted() { running.add(1, ordering: .relaxed) }
    func callFinished() { running.subtract(1, ordering: .relaxed) }
    func connectionRefused() { refused.add(1, ordering: .relaxed) }
    func badInput() { badFrames.add(1, ordering: .relaxed) }
    func unimplemented() { unknownMethods.add(1, ordering: .relaxed) }
}
