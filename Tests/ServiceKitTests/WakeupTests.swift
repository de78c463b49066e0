import Foundation
import ServiceKit
import Testing

@Suite("Wakeup: signals wake a waiting loop and none is lost")
struct WakeupTests {
    @Test("a signal before the wait makes it return at once; without one it times out")
    func pendingAndTimeout() async {
        let wakeup = Wakeup()
        wakeup.signal()
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await wakeup.wait(timeout: .seconds(30)))
        #expect(clock.now - start < .seconds(5))
        #expect(await wakeup.wait(timeout: .milliseconds(20)) == false)
    }

    @Test("a signal that lands while a timed-out wait is ending is kept for the next wait")
    func noSignalLost() async {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        for _ in 0..<400 {
            async let signalled: Void = {
                try? await Task.sleep(for: .microseconds(Int.random(in: 0...1500)))
                wakeup.signal()
            }()
            let first = await wakeup.wait(timeout: .milliseconds(1))
            await signalled
            // The signal has been sent: either that wait took it, or the next one must.
            if !first {
                let start = clock.now
                let second = await wakeup.wait(timeout: .seconds(10))
                #expect(second && clock.now - start < .seconds(5), "a signal was lost")
                if !second { return }
            }
        }
    }

    @Test("an idle worker sleeps until its next work falls due, within its bounds")
    func idleTimeout() {
        func timeout(_ untilDue: Duration?) -> Duration {
            Wakeup.idleTimeout(
                untilDue: untilDue, poll: .milliseconds(250), minimum: .milliseconds(10), maximum: .seconds(5))
        }
        // Nothing queued: the longest sleep.
        #expect(timeout(nil) == .seconds(5))
        // Due later: until then, not sooner than the minimum nor later than the maximum.
        #expect(timeout(.milliseconds(1500)) == .milliseconds(1500))
        #expect(timeout(.milliseconds(2)) == .milliseconds(10))
        #expect(timeout(.seconds(60)) == .seconds(5))
        // Due already but not taken (held elsewhere): the busy pace, not a tight loop.
        #expect(timeout(.zero) == .milliseconds(250))
        #expect(timeout(.milliseconds(-40)) == .milliseconds(250))
        #expect(
            Wakeup.idleTimeout(untilDue: .zero, poll: .seconds(9), minimum: .milliseconds(10), maximum: .seconds(5))
                == .seconds(5))
    }
}
