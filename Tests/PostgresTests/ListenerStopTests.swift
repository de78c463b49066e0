import Foundation
import Synchronization
import Testing

@testable import Postgres

/// The listener thread's wait: it sleeps until its socket has input, the stream ends or a
/// reconnect delay passes, and never wakes on its own in between.
@Suite("ListenerStop: a listener waits without waking on its own")
struct ListenerStopTests {
    /// Runs `wait` on a thread of its own; `ended` is set when it returns.
    private func waitOnThread(_ wait: @escaping @Sendable () -> Void) -> EndFlag {
        let ended = EndFlag()
        Thread.detachNewThread {
            wait()
            ended.value.store(true, ordering: .releasing)
        }
        return ended
    }

    /// A pipe's read and write ends (the read end stands for the listener's socket).
    private func makePipe() throws -> [Int32] {
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        return ends
    }

    private func waitUntil(_ ended: EndFlag, within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if ended.value.load(ordering: .acquiring) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return ended.value.load(ordering: .acquiring)
    }

    @Test("an idle wait stays asleep (no 100 ms look) until stopped, then ends at once; later waits return at once")
    func idleUntilStopped() async throws {
        let stop = ListenerStop()
        let ends = try makePipe()
        defer { ends.forEach { close($0) } }
        let socket = ends[0]
        let ended = waitOnThread { stop.wait(readable: socket, upTo: nil) }
        #expect(await waitUntil(ended, within: .milliseconds(400)) == false, "the wait returned with nothing to read")
        stop.stop()
        #expect(await waitUntil(ended, within: .seconds(5)))
        #expect(stop.isStopped)
        let start = ContinuousClock.now
        stop.wait(readable: socket, upTo: nil)
        stop.wait(readable: nil, upTo: .seconds(30))
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test("input on the socket ends the wait; a delay ends a wait without a socket")
    func inputAndDelay() async throws {
        let stop = ListenerStop()
        let ends = try makePipe()
        defer { ends.forEach { close($0) } }
        let socket = ends[0]
        let ended = waitOnThread { stop.wait(readable: socket, upTo: nil) }
        #expect(await waitUntil(ended, within: .milliseconds(200)) == false)
        var byte: UInt8 = 7
        #expect(write(ends[1], &byte, 1) == 1)
        #expect(await waitUntil(ended, within: .seconds(5)))
        #expect(stop.isStopped == false)

        let clock = ContinuousClock()
        let start = clock.now
        stop.wait(readable: nil, upTo: .milliseconds(150))
        let waited = clock.now - start
        #expect(waited >= .milliseconds(140) && waited < .seconds(5))
    }
}

/// Set by the waiting thread when its wait returned.
private final class EndFlag: Sendable {
    let value = Atomic<Bool>(false)
}
