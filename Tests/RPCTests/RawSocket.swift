import RPC

#if canImport(Glibc)
import Glibc
#endif

/// A blocking Unix-socket client that writes whatever bytes a test wants, to play a
/// misbehaving peer.
final class RawSocket {
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
    func receive(count: Int, timeoutMilliseconds: Int32 = 2000) -> [UInt8] {
        var received: [UInt8] = []
        while received.count < count {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutMilliseconds) == 1 else { break }
            var chunk = [UInt8](repeating: 0, count: count - received.count)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            received += chunk.prefix(n)
        }
        return received
    }

    /// Whether the peer closed the connection within `timeoutMilliseconds` (bytes it sent
    /// before closing, such as a GOAWAY, are read and dropped).
    func isClosedByPeer(timeoutMilliseconds: Int32 = 2000) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutMilliseconds) == 1 else { return false }
            var chunk = [UInt8](repeating: 0, count: 256)
            if chunk.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) <= 0 { return true }
        }
        return false
    }
}
