import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The process on the other end of a Unix socket, from `SO_PEERCRED`.
struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    var description: String { "pid \(pid) uid \(uid) gid \(gid)" }

    /// Reads the peer's credentials of an accepted Unix-socket channel.
    static func of(_ channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(RPCError(.internalError, "channel has no socket options"))
        }
        let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET),
            name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        return future.map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }
    }

    /// `struct ucred` of <sys/socket.h>, which Glibc only exports under `_GNU_SOURCE`.
    private struct UCred: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Whether the peer may connect under `configuration`'s allow lists.
    func isAllowed(by configuration: RPCServerConfiguration) -> Bool {
        configuration.allowedUIDs.contains(uid) || configuration.allowedGIDs.contains(gid)
    }
}
