import Foundation
import HTTPTypes
import Hummingbird

/// Which address a request comes from, behind reverse proxies or not.
///
/// By default the socket's peer is the client and `X-Forwarded-For` is ignored (a client
/// could write anything there, and the login lockout counts failures per address). When the
/// peer is one of `SMARTERCHAT_TRUSTED_PROXIES` (comma-separated IPv4/IPv6 addresses or
/// IPv4 CIDR blocks, e.g. `10.0.0.0/8,127.0.0.1`), the client is the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
struct ClientAddressPolicy: Sendable {
    private let exact: Set<String>
    private let ipv4Blocks: [(network: UInt32, mask: UInt32)]

    /// Parses `SMARTERCHAT_TRUSTED_PROXIES`; entries that are not addresses are ignored.
    init(trustedProxies: String) {
        var exact: Set<String> = []
        var blocks: [(UInt32, UInt32)] = []
        for entry in trustedProxies.split(separator: ",") {
            let text = entry.trimmingCharacters(in: .whitespaces)
            if let slash = text.firstIndex(of: "/") {
                guard let address = Self.ipv4(text[..<slash]), let bits = Int(text[text.index(after: slash)...]),
                    (0...32).contains(bits)
                else { continue }
                let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
                blocks.append((address & mask, mask))
            } else if !text.isEmpty {
                exact.insert(text.lowercased())
            }
        }
        self.exact = exact
        self.ipv4Blocks = blocks
    }

    /// Whether `address` is a trusted proxy.
    func isTrusted(_ address: String) -> Bool {
        if exact.contains(address.lowercased()) { return true }
        guard let value = Self.ipv4(Substring(address)) else { return false }
        return ipv4Blocks.contains { value & $0.mask == $0.network }
    }

    /// The client's address for a request from `peer` carrying `forwardedFor` headers.
    func clientAddress(peer: String, forwardedFor: [String]) -> String {
        guard isTrusted(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        for hop in hops.reversed() where !hop.isEmpty {
            if !isTrusted(hop) { return String(hop.prefix(64)) }
        }
        return peer
    }

    private static func ipv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard part.count <= 3, let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}

/// Sets ``GatewayRequestContext/remoteAddress`` by ``ClientAddressPolicy``.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let policy: ClientAddressPolicy

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.remoteAddress = policy.clientAddress(
            peer: context.remoteAddress, forwardedFor: request.headers[values: .xForwardedFor])
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    /// `X-Forwarded-For`.
    static let xForwardedFor = Self("X-Forwarded-For")!
}
