import Contracts
import Cryptography
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Two-factor authentication: set up, enable, log in with a code once, disable")
struct TwoFactorTests {
    struct Account {
        var principal: Principal
        var email: String
        var password: String
        var totp: TOTP
    }

    /// A new admin with 2FA set up and enabled with the current code.
    func enabledAccount(_ fixture: IdentityFixture) async throws -> Account {
        let (signUp, email, password) = try await fixture.signUp()
        let principal = try await fixture.principal(for: signUp.tokens!.accessToken)
        let setUp = try await fixture.call(
            Identity.Service.setUpTwoFactor, Identity.SetUpTwoFactorRequest(), as: principal)
        #expect(setUp.otpauthUri.hasPrefix("otpauth://totp/SmarterChat:"))
        #expect(setUp.otpauthUri.contains("secret=\(setUp.secret)"))
        let stored = try await fixture.database.query(
            "SELECT two_factor_secret FROM users WHERE email = $1", [email])
        let sealed = try #require(try stored.firstRow?.decode(String?.self, "two_factor_secret"))
        #expect(!sealed.contains(setUp.secret))
        let totp = try TOTP(base32Secret: setUp.secret)
        let wrong = await fixture.failure {
            try await fixture.call(
                Identity.Service.enableTwoFactor, Identity.EnableTwoFactorRequest(code: "000000"), as: principal)
        }
        #expect(wrong == .invalidArgument || totp.code() == "000000")
        _ = try await fixture.call(
            Identity.Service.enableTwoFactor, Identity.EnableTwoFactorRequest(code: totp.code()), as: principal)
        return Account(principal: principal, email: email, password: password, totp: totp)
    }

    func logIn(_ fixture: IdentityFixture, _ account: Account, code: String) async throws -> Identity.LogInResponse {
        try await fixture.call(
            Identity.Service.logIn,
            Identity.LogInRequest(
                email: account.email, password: account.password, client: .init(ipAddress: account.email),
                totpCode: code))
    }

    @Test("with 2FA on a login needs a code; a used code is refused; the next step's code works once")
    func loginNeedsFreshCode() async throws {
        let fixture = try await IdentityFixture.shared()
        let account = try await enabledAccount(fixture)
        let withoutCode = try await logIn(fixture, account, code: "")
        #expect(withoutCode.twoFactorRequired && withoutCode.tokens == nil)
        #expect(
            await fixture.failure { try await logIn(fixture, account, code: account.totp.code()) } == .unauthenticated)
        let next = account.totp.code(at: TOTP.now() + 30)
        #expect(try await logIn(fixture, account, code: next).tokens != nil)
        #expect(await fixture.failure { try await logIn(fixture, account, code: next) } == .unauthenticated)
        #expect(
            await fixture.failure {
                try await logIn(fixture, account, code: account.totp.code(at: TOTP.now() + 300))
            } == .unauthenticated)
        #expect(try await fixture.auditCount("login.failed", userID: account.principal.userId) == 3)
    }

    @Test("drift: the previous step's code is accepted (−1), two steps back is not")
    func previousStepAccepted() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let principal = try await fixture.principal(for: signUp.tokens!.accessToken)
        let setUp = try await fixture.call(
            Identity.Service.setUpTwoFactor, Identity.SetUpTwoFactorRequest(), as: principal)
        let totp = try TOTP(base32Secret: setUp.secret)
        // The codes below are one and two steps old only until the step ends: start early in
        // a step, so that the server checks them in the same step (this failed once in about
        // twenty runs, when a step ended between computing the code and checking it).
        try await waitForFreshStep(leaving: 10)
        let twoBack = totp.code(at: TOTP.now() - 60)
        if twoBack != totp.code(at: TOTP.now() - 30) && twoBack != totp.code()
            && twoBack != totp.code(at: TOTP.now() + 30)
        {
            #expect(
                await fixture.failure {
                    try await fixture.call(
                        Identity.Service.enableTwoFactor, Identity.EnableTwoFactorRequest(code: twoBack), as: principal)
                } == .invalidArgument)
        }
        _ = try await fixture.call(
            Identity.Service.enableTwoFactor, Identity.EnableTwoFactorRequest(code: totp.code(at: TOTP.now() - 30)),
            as: principal)
        let me = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: principal)
        #expect(me.user?.twoFactorEnabled == true)
    }

    @Test("disabling needs the password and an unused code; afterwards a login needs no code")
    func disable() async throws {
        let fixture = try await IdentityFixture.shared()
        let account = try await enabledAccount(fixture)
        func disable(_ password: String, _ code: String) async -> RPCError.Code? {
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.disableTwoFactor, Identity.DisableTwoFactorRequest(password: password, code: code),
                    as: account.principal)
            }
        }
        let next = account.totp.code(at: TOTP.now() + 30)
        #expect(await disable("wrong password", next) == .invalidArgument)
        #expect(await disable(account.password, account.totp.code()) == .invalidArgument)
        #expect(await disable(account.password, next) == nil)
        #expect(try await logIn(fixture, account, code: "").tokens != nil)
        #expect(await disable(account.password, next) == .failedPrecondition)
    }

    @Test("setting up twice once enabled, or without encryption keys, is FAILED_PRECONDITION")
    func preconditions() async throws {
        let fixture = try await IdentityFixture.shared()
        let account = try await enabledAccount(fixture)
        let again = await fixture.failure {
            try await fixture.call(
                Identity.Service.setUpTwoFactor, Identity.SetUpTwoFactorRequest(), as: account.principal)
        }
        #expect(again == .failedPrecondition)
        let keyless = try fixture.withPasswordCost(logN: 10)
        let signUp = try await keyless.signUp().response
        let principal = try await keyless.principal(for: signUp.tokens!.accessToken)
        let unconfigured = await keyless.failure {
            try await keyless.call(Identity.Service.setUpTwoFactor, Identity.SetUpTwoFactorRequest(), as: principal)
        }
        #expect(unconfigured == .failedPrecondition)
    }
}

/// Returns once at least `seconds` of the current 30 s TOTP step remain.
private func waitForFreshStep(leaving seconds: Int64) async throws {
    let remaining = 30 - TOTP.now() % 30
    if remaining < seconds { try await Task.sleep(for: .seconds(Int(remaining))) }
}
