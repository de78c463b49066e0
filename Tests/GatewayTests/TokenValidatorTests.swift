import Contracts
import RPC
import Synchronization
import Testing

@testable import GatewayService

/// A stand-in identity service answering `ValidateToken`: "good-*" tokens are valid for
/// `expiresIn` seconds, anything else is UNAUTHENTICATED; it counts the calls it gets.
final class FakeIdentity: Sendable {
    /// The number of calls, shared with the handler closure.
    final class Counter: Sendable {
        let value = Mutex(0)
    }

    let calls = Counter()
    /// Tokens answered UNAUTHENTICATED from now on (a revocation).
    final class Revocations: Sendable {
        let tokens = Mutex<Set<String>>([])
    }

    let revoked = Revocations()
    /// Tokens whose `ValidateToken` waits, once decided, until removed (an answer on its way).
    let held = Revocations()
    let expiresIn: Int64
    let client: RPCInProcessClient

    init(expiresIn: Int64 = 3600) {
        self.expiresIn = expiresIn
        let router = RPCRouter(service: Identity.Service.descriptor)
        let calls = self.calls
        let revoked = self.revoked
        let held = self.held
        router.register(Identity.Service.validateToken) { request, _ in
            calls.value.withLock { $0 += 1 }
            let valid =
                request.accessToken.hasPrefix("good-") && !revoked.tokens.withLock { $0.contains(request.accessToken) }
            // The answer is decided, then held: a revocation from now on does not change it.
            while held.tokens.withLock({ $0.contains(request.accessToken) }) {
                try await Task.sleep(for: .milliseconds(5))
            }
            guard valid else { throw RPCError(.unauthenticated, "invalid token") }
            return Identity.ValidateTokenResponse(
                organizationId: "org-1", userId: "user-\(request.accessToken)", role: "admin",
                sessionId: "session-1", expiresIn: expiresIn)
        }
        self.client = RPCInProcessClient(router: router)
    }

    var callCount: Int { calls.value.withLock { $0 } }
}

@Suite("The gateway's bearer token validation and its short cache")
struct TokenValidatorTests {
    @Test("a valid token's principal is reused within the maximum age")
    func cachesBriefly() async throws {
        let identity = FakeIdentity()
        let validator = TokenValidator(identity: identity.client, maximumAge: .seconds(60))
        let first = try await validator.validate("good-a", metadata: CallMetadata())
        #expect(first.principal.userId == "user-good-a" && first.principal.organizationId == "org-1")
        #expect(first.principal.role == "admin" && first.sessionID == "session-1")
        #expect(try await validator.validate("good-a", metadata: CallMetadata()) == first)
        #expect(identity.callCount == 1)
        _ = try await validator.validate("good-b", metadata: CallMetadata())
        #expect(identity.callCount == 2)
    }

    @Test("after the maximum age the token is asked about again")
    func asksAgainAfterMaximumAge() async throws {
        let identity = FakeIdentity()
        let validator = TokenValidator(identity: identity.client, maximumAge: .milliseconds(50))
        _ = try await validator.validate("good-a", metadata: CallMetadata())
        try await Task.sleep(for: .milliseconds(200))
        _ = try await validator.validate("good-a", metadata: CallMetadata())
        #expect(identity.callCount == 2)
    }

    @Test("past half its age an answer is used while identity is asked again; a revoked token is then dropped")
    func refreshAhead() async throws {
        let identity = FakeIdentity()
        // Ages in seconds, not milliseconds: a loaded machine oversleeps by a few hundred.
        let validator = TokenValidator(identity: identity.client, maximumAge: .milliseconds(2000))
        func waitForCalls(_ count: Int) async throws {
            for _ in 0..<100 where identity.callCount < count { try await Task.sleep(for: .milliseconds(10)) }
        }
        _ = try await validator.validate("good-a", metadata: CallMetadata())
        #expect(identity.callCount == 1)
        try await Task.sleep(for: .milliseconds(1250))
        // Still answered from the cache, and identity is asked in the background.
        #expect(try await validator.validate("good-a", metadata: CallMetadata()).principal.userId == "user-good-a")
        try await waitForCalls(2)
        #expect(identity.callCount == 2)
        identity.revoked.tokens.withLock { _ = $0.insert("good-a") }
        try await Task.sleep(for: .milliseconds(1250))
        // The refreshed answer is used once more while identity is asked again; it says no.
        _ = try await validator.validate("good-a", metadata: CallMetadata())
        try await waitForCalls(3)
        try await Task.sleep(for: .milliseconds(20))
        await #expect(throws: RPCError.self) { try await validator.validate("good-a", metadata: CallMetadata()) }
    }

    @Test("an invalid token is never cached and fails UNAUTHENTICATED each time")
    func failuresAreNotCached() async throws {
        let identity = FakeIdentity()
        let validator = TokenValidator(identity: identity.client)
        for _ in 0..<2 {
            await #expect(throws: RPCError.self) { try await validator.validate("bad", metadata: CallMetadata()) }
        }
        #expect(identity.callCount == 2)
    }

    @Test("a token that expires now is not cached past its life; a forgotten one is asked again")
    func neverBeyondTokenLife() async throws {
        let expiring = FakeIdentity(expiresIn: 0)
        let validator = TokenValidator(identity: expiring.client, maximumAge: .seconds(60))
        _ = try await validator.validate("good-a", metadata: CallMetadata())
        _ = try await validator.validate("good-a", metadata: CallMetadata())
        #expect(expiring.callCount == 2)

        let identity = FakeIdentity()
        let cached = TokenValidator(identity: identity.client, maximumAge: .seconds(60))
        _ = try await cached.validate("good-a", metadata: CallMetadata())
        cached.forget("good-a")
        _ = try await cached.validate("good-a", metadata: CallMetadata())
        #expect(identity.callCount == 2)
    }

    @Test("an answer asked for before a logout's forget is returned but not cached after it")
    func forgetWinsOverAnswersOnTheirWay() async throws {
        let identity = FakeIdentity()
        let validator = TokenValidator(identity: identity.client, maximumAge: .seconds(60))
        identity.held.tokens.withLock { _ = $0.insert("good-a") }
        async let answer = validator.validate("good-a", metadata: CallMetadata())
        for _ in 0..<200 where identity.callCount < 1 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(identity.callCount == 1)
        // The logout: identity revokes the session, the gateway forgets the token.
        identity.revoked.tokens.withLock { _ = $0.insert("good-a") }
        validator.forget("good-a")
        identity.held.tokens.withLock { _ = $0.remove("good-a") }
        // Identity said yes before the revocation; the caller gets that answer, the cache does not.
        #expect(try await answer.principal.userId == "user-good-a")
        #expect(validator.cachedCount == 0)
        await #expect(throws: RPCError.self) { try await validator.validate("good-a", metadata: CallMetadata()) }
        #expect(identity.callCount == 2)
    }

    @Test("the cache stays within its capacity")
    func boundedCapacity() async throws {
        let identity = FakeIdentity()
        let validator = TokenValidator(identity: identity.client, maximumAge: .seconds(60), capacity: 3)
        for index in 0..<10 { _ = try await validator.validate("good-\(index)", metadata: CallMetadata()) }
        _ = try await validator.validate("good-9", metadata: CallMetadata())
        #expect(identity.callCount == 10)
        #expect(validator.cachedCount <= 3)
    }

    @Test(
        "only `Bearer <token>` headers are accepted",
        arguments: [
            ("Bearer abc", "abc"), ("bearer abc", "abc"), ("Basic abc", nil), ("Bearer", nil), ("Bearer a b", nil),
            ("", nil), ("Bearer " + String(repeating: "x", count: 300), nil), ("BEARER abc", "abc"),
            ("  Bearer   abc  ", "abc"), ("Bearerabc", nil), ("Bearer\tabc", nil), ("Bearers abc", nil),
            ("Bearer " + String(repeating: "x", count: 256), String(repeating: "x", count: 256)),
        ] as [(String, String?)])
    func bearerParsing(header: String, token: String?) {
        #expect(AuthenticationMiddleware.bearerToken(header) == token)
    }
}
