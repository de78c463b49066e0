import Contracts
import Cryptography
import Foundation
import Logging
import Postgres
import RPC
import TestSupport

@testable import IdentityService

/// The identity handlers over a real, migrated `identity` schema, called through
/// ``RPCInProcessClient`` (protobuf encoding included, no sockets).
///
/// One database per test process (``shared()``); tests stay apart by using their own
/// organizations and emails (``unique(_:)``).
struct IdentityFixture: Sendable {
    let database: PostgresClient
    let handlers: IdentityHandlers
    let client: RPCInProcessClient

    /// Handlers with cheap scrypt parameters and the default lifetimes and lockout rule.
    static func shared() async throws -> IdentityFixture {
        try await SharedIdentityDatabase.instance.fixture()
    }

    /// The same database behind handlers that hash new passwords at scrypt cost 2^`logN`
    /// (and have no key ring, so 2FA cannot be set up).
    func withPasswordCost(logN: Int) throws -> IdentityFixture {
        var configuration = IdentityConfiguration()
        configuration.passwordParameters = .init(logN: logN, r: 8, p: 1)
        let handlers = try IdentityHandlers(configuration: configuration, database: database)
        let router = RPCRouter(service: Identity.Service.descriptor)
        handlers.register(on: router)
        return IdentityFixture(database: database, handlers: handlers, client: RPCInProcessClient(router: router))
    }

    /// A fresh name for this test: `prefix-1a2b3c4d`.
    static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Calls `method` with `principal` in the metadata (none by default).
    func call<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, as principal: Principal = Principal()
    ) async throws -> Output {
        try await client.call(
            method, request, metadata: CallMetadata(requestID: "test", caller: "gateway", principal: principal),
            timeout: .seconds(30))
    }

    /// Signs up a new organization with its admin; `password` defaults to a valid one.
    func signUp(
        password: String = "correct horse battery"
    ) async throws -> (
        response: Identity.SignUpResponse, email: String, password: String
    ) {
        let slug = Self.unique("org")
        let email = "\(Self.unique("admin"))@example.com"
        let response = try await call(
            Identity.Service.signUp,
            Identity.SignUpRequest(
                organizationName: "Org \(slug)", organizationSlug: slug, email: email, password: password,
                fullName: "Ada Admin", client: Identity.ClientInfo(ipAddress: "10.0.0.1", userAgent: "tests")))
        return (response, email, password)
    }

    /// The principal the gateway would put in metadata for a valid `accessToken`.
    func principal(for accessToken: String) async throws -> Principal {
        let validated = try await call(
            Identity.Service.validateToken, Identity.ValidateTokenRequest(accessToken: accessToken))
        return Principal(
            organizationId: validated.organizationId, userId: validated.userId, role: validated.role,
            grants: validated.grants)
    }

    /// The status an RPC failed with, or nil when it succeeded.
    func failure<Output: Sendable>(_ body: () async throws -> Output) async -> RPCError.Code? {
        do {
            _ = try await body()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            return .unknown
        }
    }

    /// How many audit events named `event` mention `email` or `userID`.
    func auditCount(_ event: String, email: String? = nil, userID: String? = nil) async throws -> Int {
        let rows = try await database.query(
            """
            SELECT count(*)::bigint AS n FROM audit_log
            WHERE event = $1 AND ($2::text IS NULL OR details->>'email' = $2)
              AND ($3::uuid IS NULL OR user_id = $3)
            """, [event, email, userID.flatMap(UUID.init(uuidString:))])
        return Int(try rows.firstRow?.decode(Int64.self, "n") ?? 0)
    }
}

/// Builds the test database once per process: provisions the `identity` role and schema and
/// applies the service's migrations from the source tree, as the service itself would.
actor SharedIdentityDatabase {
    static let instance = SharedIdentityDatabase()
    private var building: Task<IdentityFixture, any Error>?

    func fixture() async throws -> IdentityFixture {
        if let building { return try await building.value }
        let task = Task { try await Self.build() }
        building = task
        return try await task.value
    }

    private static func build() async throws -> IdentityFixture {
        let logger = Logger(label: "IdentityTests")
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(
            service: "identity", poolSize: 4, logger: logger)
        var configuration = IdentityConfiguration()
        configuration.passwordParameters = .testing
        let keyRing = try KeyRing(configuration: "test:\(Base64.encode(SecureRandom.bytes(count: 32)))")
        let handlers = try IdentityHandlers(configuration: configuration, database: database, keyRing: keyRing)
        let router = RPCRouter(service: Identity.Service.descriptor)
        handlers.register(on: router)
        return IdentityFixture(database: database, handlers: handlers, client: RPCInProcessClient(router: router))
    }
}

extension IdentityFixture {
    /// `UpdateUser` of `userID`'s role and/or status, as `principal`; the updated user.
    func updateUser(
        _ userID: String, role: String? = nil, status: String? = nil, as principal: Principal
    ) async throws -> Identity.User? {
        try await call(
            Identity.Service.updateUser, Identity.UpdateUserRequest(userId: userID, role: role, status: status),
            as: principal
        ).user
    }
}
