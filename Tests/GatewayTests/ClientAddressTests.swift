import Testing

@testable import GatewayService

@Suite("The client's address: the socket peer unless it is a trusted proxy")
struct ClientAddressTests {
    @Test("with no trusted proxies X-Forwarded-For is ignored")
    func untrusted() {
        let policy = ClientAddressPolicy(trustedProxies: "")
        #expect(policy.clientAddress(peer: "203.0.113.9", forwardedFor: ["1.2.3.4"]) == "203.0.113.9")
    }

    @Test("behind a trusted proxy the right-most untrusted hop is the client; a forged left part is skipped")
    func trustedChain() {
        let policy = ClientAddressPolicy(trustedProxies: "10.0.0.0/8, 127.0.0.1, ::1")
        #expect(policy.isTrusted("10.1.2.3") && policy.isTrusted("127.0.0.1") && policy.isTrusted("::1"))
        #expect(!policy.isTrusted("11.0.0.1") && !policy.isTrusted("not an address"))
        // The client forged "6.6.6.6"; the proxy appended the address it saw.
        #expect(
            policy.clientAddress(peer: "10.0.0.5", forwardedFor: ["6.6.6.6, 198.51.100.7, 10.0.0.9"]) == "198.51.100.7")
        #expect(policy.clientAddress(peer: "127.0.0.1", forwardedFor: ["6.6.6.6", "198.51.100.8"]) == "198.51.100.8")
        // Only proxies in the chain, or no header: the peer.
        #expect(policy.clientAddress(peer: "10.0.0.5", forwardedFor: ["10.0.0.6"]) == "10.0.0.5")
        #expect(policy.clientAddress(peer: "10.0.0.5", forwardedFor: []) == "10.0.0.5")
    }

    @Test("malformed blocks are ignored rather than trusting everyone")
    func malformed() {
        let policy = ClientAddressPolicy(trustedProxies: "10.0.0.0/99,garbage/8,0.0.0.0/x")
        #expect(!policy.isTrusted("10.0.0.1") && !policy.isTrusted("8.8.8.8"))
    }
}
