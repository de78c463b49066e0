import Foundation
import NIOCore
import RPC

#if canImport(Glibc)
import Glibc
#endif

/// A blocking Unix-socket client that writes whatever bytes a test wants, to play a
/// misbehaving peer.
///
/// Its waits block a thread of their own, never one of the Swift concurrency pool's few threads:
/// the full suite runs in parallel on two cores, and a blocked pool thread stalls every other
/// test's tasks (server start-up, retries, handlers resuming after a sleep).
final class RawSocket: Sendable {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1)) + [0]
            raw.copyBytes(from: bytes)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw SystemError(errno: errno)
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Reads until `count` bytes arrived, the peer closed, or `timeoutMilliseconds` passed.
    func receive(count: Int, timeoutMilliseconds: Int = 15_000) async -> [UInt8] {
        await offThePool { self.receiveBlocking(count: count, until: .now + .milliseconds(timeoutMilliseconds)) }
    }

    /// Reads one whole frame (nil when the peer closed or `timeoutMilliseconds` passed first).
    func receiveFrame(timeoutMilliseconds: Int = 15_000) async -> RPCFrame? {
        await offThePool {
            let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
            let lengthBytes = self.receiveBlocking(count: 4, until: deadline)
            guard lengthBytes.count == 4 else { return nil }
            let length = Int(ByteBuffer(bytes: lengthBytes).getInteger(at: 0, as: UInt32.self)!)
            guard length >= RPCFrame.fixedHeaderSize else { return nil }
            var rest = ByteBuffer(bytes: self.receiveBlocking(count: length, until: deadline))
            guard rest.readableBytes == length, let kindByte = rest.readInteger(as: UInt8.self),
                let kind = RPCFrame.Kind(rawValue: kindByte), let callID = rest.readInteger(as: UInt32.self)
            else { return nil }
            return RPCFrame(kind: kind, callID: callID, payload: rest)
        }
    }

    /// Whether the peer closed the connection within `timeoutMilliseconds` (bytes it sent
    /// before closing, such as a GOAWAY, are read and dropped).
    func isClosedByPeer(timeoutMilliseconds: Int = 15_000) async -> Bool {
        await offThePool {
            let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
            var chunk = [UInt8](repeating: 0, count: 256)
            while self.waitReadable(until: deadline) {
                let n = chunk.withUnsafeMutableBytes { read(self.fd, $0.baseAddress, $0.count) }
                if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) { return true }
            }
            return false
        }
    }

    private func receiveBlocking(count: Int, until deadline: ContinuousClock.Instant) -> [UInt8] {
        var received: [UInt8] = []
        while received.count < count, waitReadable(until: deadline) {
            var chunk = [UInt8](repeating: 0, count: count - received.count)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            received += chunk.prefix(n)
        }
        return received
    }

    /// Waits until the socket is readable (or at end of file); false when `deadline` passed.
    private func waitReadable(until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = deadline - .now
            guard left > .zero else { return false }
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + 1)
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, min(milliseconds, 100))
            if ready > 0 { return true }
            if ready < 0, errno != EINTR { return false }
        }
    }

    /// Runs `body` on a new thread (not a Dispatch queue, whose threads are as few as the cores).
    private func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }
}
