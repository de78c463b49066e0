import Hummingbird

/// `GET /livez`: the gateway process is up and answering HTTP.
///
/// 200 `{"status":"ok"}` without calling any service, so it stays cheap and stays 200 when the
/// domain services are down (that is `/healthz`'s job). It is also the no-RPC baseline of the
/// authentication benchmark (bench/auth).
struct LivenessRoutes: Sendable {
    /// The body, encoded once: the route does no work per request.
    static let body = ByteBuffer(string: #"{"status":"ok"}"#)

    func register(on router: Router<GatewayRequestContext>) {
        router.get("livez") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: Self.body))
        }
    }
}
