import Contracts
import Cryptography
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Log in: passwords, lockout and inactive accounts")
struct LogInTests {
    func logIn(
        _ fixture: IdentityFixture, _ email: String, _ password: String, address: String = "192.0.2.1"
    ) async throws -> Identity.LogInResponse {
        try await fixture.call(
            Identity.Service.logIn,
            Identity.LogInRequest(
                email: email, password: password, client: Identity.ClientInfo(ipAddress: address, userAgent: "tests")))
    }

    /// A test address nobody else uses, so address lockouts of other tests do not interfere.
    func address() -> String { "198.51.100.\(Int.random(in: 1...254))-\(UUID().uuidString.prefix(6))" }

    @Test("the right password (any case of email) opens a new session; a wrong one is UNAUTHENTICATED")
    func passwordDecides() async throws {
        let fixture = try await IdentityFixture.shared()
        let (signUp, email, password) = try await fixture.signUp()
        let response = try await logIn(fixture, email.uppercased(), password, address: address())
        let tokens = try #require(response.tokens)
        #expect(response.retryAfterSeconds == 0)
        #expect(tokens.sessionId != signUp.tokens!.sessionId)
        #expect(response.user?.lastLoginAt.isEmpty == false)
        #expect(
            await fixture.failure { try await logIn(fixture, email, password + "x", address: address()) }
                == .unauthenticated)
        #expect(
            await fixture.failure {
                try await logIn(fixture, "nobody-\(UUID())@example.com", password, address: address())
            } == .unauthenticated)
        #expect(await fixture.failure { try await logIn(fixture, "", "", address: address()) } == .invalidArgument)
        #expect(try await fixture.auditCount("login.failed", email: email) == 1)
    }

    @Test("after 5 failures for an account, even the right password waits (Retry-After) and it is audited")
    func accountLockout() async throws {
        let fixture = try await IdentityFixture.shared()
        let (_, email, password) = try await fixture.signUp()
        for _ in 1...5 {
            #expect(
                await fixture.failure { try await logIn(fixture, email, "wrong password", address: address()) }
                    == .unauthenticated)
        }
        let refused = try await logIn(fixture, email, password, address: address())
        #expect(refused.tokens == nil)
        #expect(refused.retryAfterSeconds > 800 && refused.retryAfterSeconds <= 900)
        #expect(try await fixture.auditCount("login.locked", email: email) == 1)
    }

    /// How one of many concurrent logins ended.
    enum Outcome: Sendable, Equatable {
        case signedIn, unauthenticated, locked, other
    }

    func outcome(_ fixture: IdentityFixture, _ email: String, _ password: String, address: String) async -> Outcome {
        do {
            let response = try await logIn(fixture, email, password, address: address)
            if response.tokens != nil { return .signedIn }
            return response.retryAfterSeconds > 0 ? .locked : .other
        } catch let error as RPCError where error.code == .unauthenticated {
            return .unauthenticated
        } catch {
            return .other
        }
    }

    /// Runs `count` logins at once, attempt `index` as `attempt(index)` describes it.
    func concurrentOutcomes(
        _ fixture: IdentityFixture, count: Int,
        _ attempt: @escaping @Sendable (Int) -> (email: String, password: String, address: String)
    ) async -> [Outcome] {
        await withTaskGroup(of: Outcome.self) { group in
            for index in 0..<count {
                let (email, password, address) = attempt(index)
                group.addTask { await outcome(fixture, email, password, address: address) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test("12 concurrent wrong passwords for one account: 5 are verified (401), the other 7 wait (429)")
    func concurrentAccountLockout() async throws {
        // A cost where scrypt outlasts the admission step, so the attempts overlap as they do
        // in production (checked before any failure was written, all 12 were verified).
        let fixture = try await IdentityFixture.shared().withPasswordCost(logN: 12)
        let (_, email, password) = try await fixture.signUp()
        let addresses = (0..<12).map { _ in address() }
        let outcomes = await concurrentOutcomes(fixture, count: 12) { (email, "wrong password", addresses[$0]) }
        #expect(outcomes.filter { $0 == .unauthenticated }.count == 5)
        #expect(outcomes.filter { $0 == .locked }.count == 7)
        #expect(try await fixture.auditCount("login.failed", email: email) == 5)
        #expect(try await fixture.auditCount("login.locked", email: email) == 7)
        let refused = try await logIn(fixture, email, password, address: address())
        #expect(refused.tokens == nil && refused.retryAfterSeconds > 0)

        // The lockout is this account's: another account's right password still opens a session.
        let (_, otherEmail, otherPassword) = try await fixture.signUp()
        #expect(try await logIn(fixture, otherEmail, otherPassword, address: address()).tokens != nil)
    }

    @Test("12 concurrent wrong guesses from one address, each for another email: 5 are verified, 7 wait")
    func concurrentAddressLockout() async throws {
        let fixture = try await IdentityFixture.shared().withPasswordCost(logN: 12)
        let attacker = address()
        let outcomes = await concurrentOutcomes(fixture, count: 12) {
            ("guess-\($0)-\(UUID())@example.com", "wrong password", attacker)
        }
        #expect(outcomes.filter { $0 == .unauthenticated }.count == 5)
        #expect(outcomes.filter { $0 == .locked }.count == 7)
    }

    @Test("a successful login is not a failure: 4 failures and a login leave room for one more failure")
    func successDoesNotCount() async throws {
        let fixture = try await IdentityFixture.shared()
        let (_, email, password) = try await fixture.signUp()
        for _ in 1...4 {
            #expect(
                await fixture.failure { try await logIn(fixture, email, "wrong password", address: address()) }
                    == .unauthenticated)
        }
        #expect(try await logIn(fixture, email, password, address: address()).tokens != nil)
        #expect(
            await fixture.failure { try await logIn(fixture, email, "wrong password", address: address()) }
                == .unauthenticated)
        let refused = try await logIn(fixture, email, password, address: address())
        #expect(refused.tokens == nil && refused.retryAfterSeconds > 0)
        let rows = try await fixture.database.query(
            "SELECT count(*) FILTER (WHERE succeeded)::bigint AS ok, count(*)::bigint AS n FROM login_attempts WHERE email = $1",
            [email])
        #expect(try rows.firstRow?.decode(Int64.self, "ok") == 1)
        #expect(try rows.firstRow?.decode(Int64.self, "n") == 6)
    }

    @Test("after 5 failures from one address, other accounts from it wait too")
    func addressLockout() async throws {
        let fixture = try await IdentityFixture.shared()
        let (_, email, password) = try await fixture.signUp()
        let attacker = address()
        for attempt in 1...5 {
            let code = await fixture.failure {
                try await logIn(fixture, "guess-\(attempt)-\(UUID())@example.com", "wrong password", address: attacker)
            }
            #expect(code == .unauthenticated)
        }
        let refused = try await logIn(fixture, email, password, address: attacker)
        #expect(refused.tokens == nil && refused.retryAfterSeconds > 0)
        let elsewhere = try await logIn(fixture, email, password, address: address())
        #expect(elsewhere.tokens != nil)
    }

    @Test("an unknown email costs a password verification like a known one")
    func unknownEmailTakesAsLong() async throws {
        // A cost where scrypt (tens of ms) outweighs the queries, so skipping it would show.
        let fixture = try await IdentityFixture.shared().withPasswordCost(logN: 14)
        let (_, email, _) = try await fixture.signUp()
        let clock = ContinuousClock()
        var known: [Duration] = [], unknown: [Duration] = []
        for _ in 0..<3 {
            known.append(
                try await clock.measure {
                    _ = await fixture.failure { try await logIn(fixture, email, "wrong password", address: address()) }
                })
            unknown.append(
                try await clock.measure {
                    _ = await fixture.failure {
                        try await logIn(fixture, "ghost-\(UUID())@example.com", "wrong password", address: address())
                    }
                })
        }
        // Without the dummy verification an unknown email skips scrypt entirely (a few ms of
        // queries); with it, it costs at least one verification. Compared with a verification
        // timed here rather than with the known-email logins, whose time swings with the load
        // of the tests running beside this one.
        var verifications: [Duration] = []
        for _ in 0..<3 {
            let handlers = fixture.handlers
            verifications.append(
                clock.measure { _ = try? handlers.hasher.verify("wrong password", against: handlers.dummyPasswordHash) }
            )
        }
        #expect(unknown.sorted()[1] > verifications.min()! / 2)
        #expect(known.sorted()[1] > verifications.min()! / 2)
        #expect(try await fixture.auditCount("login.failed", email: email) == 3)
    }

    @Test("suspended organizations and inactive users cannot log in, and their tokens stop working")
    func inactiveAccounts() async throws {
        let fixture = try await IdentityFixture.shared()
        let (signUp, email, password) = try await fixture.signUp()
        let token = signUp.tokens!.accessToken
        let organizationID = UUID(uuidString: signUp.organization!.id)!
        try await fixture.database.execute(
            "UPDATE organizations SET status = 'suspended' WHERE id = $1", [organizationID])
        #expect(
            await fixture.failure { try await logIn(fixture, email, password, address: address()) } == .permissionDenied
        )
        #expect(await fixture.failure { try await fixture.principal(for: token) } == .unauthenticated)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.refresh, Identity.RefreshRequest(refreshToken: signUp.tokens!.refreshToken))
            } == .unauthenticated)

        try await fixture.database.execute("UPDATE organizations SET status = 'active' WHERE id = $1", [organizationID])
        #expect(try await fixture.principal(for: token).organizationId == signUp.organization!.id)
        try await fixture.database.execute("UPDATE users SET status = 'inactive' WHERE email = $1", [email])
        #expect(
            await fixture.failure { try await logIn(fixture, email, password, address: address()) } == .permissionDenied
        )
        #expect(await fixture.failure { try await fixture.principal(for: token) } == .unauthenticated)
    }
}
