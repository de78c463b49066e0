import Synchronization

/// Wakes a worker of this process early when work was just queued (otherwise it polls).
final class DeliveryWakeup: Sendable {
    private let waiter = Mutex<(pending: Bool, continuation: CheckedContinuation<Void, Never>?)>((false, nil))

    init() {}

    /// Wakes the worker, or makes its next wait return at once.
    func signal() {
        let continuation = waiter.withLock { state -> CheckedContinuation<Void, Never>? in
            if let continuation = state.continuation {
                state.continuation = nil
                return continuation
            }
            state.pending = true
            return nil
        }
        continuation?.resume()
    }

    /// Returns when signalled or after `timeout`.
    func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.waiter.withLock { state -> Bool in
                        if state.pending {
                            state.pending = false
                            return true
                        }
                        state.continuation?.resume()
                        state.continuation = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            self.signal()  // releases the continuation if the timeout won
            await group.waitForAll()
            self.waiter.withLock { $0.pending = false }
        }
    }
}
