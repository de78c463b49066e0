import Contracts
import Cryptography
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Sign up creates an organization, its admin and a first session")
struct SignUpTests {
    @Test("sign up answers tokens, an admin user and the organization with the seed's plan defaults")
    func signUpCreatesOrganizationAndAdmin() async throws {
        let fixture = try await IdentityFixture.shared()
        let (response, email, _) = try await fixture.signUp()
        let tokens = try #require(response.tokens)
        let user = try #require(response.user)
        let organization = try #require(response.organization)
        #expect(tokens.tokenType == "Bearer")
        #expect(tokens.expiresIn == 3600)
        #expect(tokens.accessToken.count == 43 && tokens.refreshToken.count == 43)
        #expect(tokens.accessToken != tokens.refreshToken)
        #expect(user.email == email && user.role == "admin" && user.status == "active")
        #expect(user.organizationId == organization.id)
        #expect(organization.plan == "free" && organization.status == "active" && organization.maxUsers == 3)

        let principal = try await fixture.principal(for: tokens.accessToken)
        #expect(principal.userId == user.id && principal.organizationId == organization.id && principal.role == "admin")
    }

    @Test("tokens are stored only as their SHA-256; the password only as a scrypt hash")
    func secretsAreStoredHashed() async throws {
        let fixture = try await IdentityFixture.shared()
        let (response, email, password) = try await fixture.signUp()
        let tokens = try #require(response.tokens)
        let rows = try await fixture.database.query(
            "SELECT access_token_hash, refresh_token_hash FROM sessions WHERE user_id = $1",
            [UUID(uuidString: response.user!.id)!])
        let row = try #require(rows.firstRow)
        #expect(
            try row.decode(String.self, "access_token_hash")
                == Hex.encode(Digest.sha256(Array(tokens.accessToken.utf8))))
        #expect(
            try row.decode(String.self, "refresh_token_hash")
                == Hex.encode(Digest.sha256(Array(tokens.refreshToken.utf8))))
        let stored = try await fixture.database.query("SELECT password_hash FROM users WHERE email = $1", [email])
        let hash = try #require(stored.firstRow).decode(String.self, "password_hash")
        #expect(hash.hasPrefix("$scrypt$") && !hash.contains(password))
        #expect(try PasswordHasher(parameters: .testing).verify(password, against: hash))
    }

    @Test("a taken slug or email answers ALREADY_EXISTS and creates nothing")
    func duplicatesAreRefused() async throws {
        let fixture = try await IdentityFixture.shared()
        let (first, email, _) = try await fixture.signUp()
        let slug = first.organization!.slug
        let sameSlug = await fixture.failure {
            try await fixture.call(
                Identity.Service.signUp,
                Identity.SignUpRequest(
                    organizationName: "Other", organizationSlug: slug,
                    email: "\(IdentityFixture.unique("x"))@example.com", password: "long enough pw", fullName: "X"))
        }
        #expect(sameSlug == .alreadyExists)
        let otherSlug = IdentityFixture.unique("org")
        let sameEmail = await fixture.failure {
            try await fixture.call(
                Identity.Service.signUp,
                Identity.SignUpRequest(
                    organizationName: "Other", organizationSlug: otherSlug, email: email.uppercased(),
                    password: "long enough pw", fullName: "X"))
        }
        #expect(sameEmail == .alreadyExists)
        // The transaction rolled back: the organization of the refused admin does not exist.
        let orphans = try await fixture.database.query("SELECT 1 FROM organizations WHERE slug = $1", [otherSlug])
        #expect(orphans.isEmpty)
    }

    static let invalidRequests: [(String, Identity.SignUpRequest)] = [
        (
            "short password",
            .init(
                organizationName: "A", organizationSlug: "valid-slug", email: "a@b.co", password: "123456789",
                fullName: "A")
        ),
        (
            "missing name",
            .init(
                organizationName: " ", organizationSlug: "valid-slug", email: "a@b.co", password: "1234567890",
                fullName: "A")
        ),
        (
            "bad slug",
            .init(
                organizationName: "A", organizationSlug: "Not A Slug!", email: "a@b.co", password: "1234567890",
                fullName: "A")
        ),
        (
            "slug with edge hyphen",
            .init(
                organizationName: "A", organizationSlug: "-abc", email: "a@b.co", password: "1234567890", fullName: "A")
        ),
        (
            "bad email",
            .init(
                organizationName: "A", organizationSlug: "valid-slug", email: "not-an-email", password: "1234567890",
                fullName: "A")
        ),
        (
            "missing full name",
            .init(
                organizationName: "A", organizationSlug: "valid-slug", email: "a@b.co", password: "1234567890",
                fullName: "")
        ),
        ("everything missing", .init()),
    ]

    @Test("invalid input answers INVALID_ARGUMENT", arguments: invalidRequests)
    func invalidInputIsRefused(_ case: (String, Identity.SignUpRequest)) async throws {
        let fixture = try await IdentityFixture.shared()
        let code = await fixture.failure { try await fixture.call(Identity.Service.signUp, `case`.1) }
        #expect(code == .invalidArgument, "\(`case`.0)")
    }
}
