import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import RPC

/// Hummingbird's HTTP/1 connection handling, run on the connection's own event loop.
///
/// Hummingbird serves each connection in a task of the server's task group, which starts on
/// whichever thread accepted it; with two event loops half of the connections were then
/// served on one loop while their socket lived on the other, and every request crossed
/// threads twice more (and, for a request that calls a service, twice again for a
/// middleware that moved the handler to the socket's loop, no longer needed). With the task preferring the
/// socket's loop, reading the request, the handler, its RPC calls (``RPCClient`` lanes) and
/// writing the response all happen on one thread.
struct LoopBoundHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with each connection served on its own event loop (``LoopBoundHTTP1Channel``).
    static func loopBoundHTTP1(configuration: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        .init { responder in
            LoopBoundHTTP1Channel(inner: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }
}
