import Access
import Contracts
import Foundation
import Logging
import Postgres
import RPC
import TestSupport

@testable import CRMService

/// The crm handlers over a real, migrated `crm` schema, called through
/// ``RPCInProcessClient`` (protobuf encoding included, no sockets).
///
/// One database per test process (``shared()``); tests stay apart by using organizations of
/// their own (``organization()``).
struct CRMFixture: Sendable {
    let database: PostgresClient
    let client: RPCInProcessClient

    static func shared() async throws -> CRMFixture {
        try await SharedCRMDatabase.instance.fixture()
    }

    /// The same database behind handlers that check assignees with `assignees`.
    func withAssignees(_ assignees: any AssigneeDirectory) -> CRMFixture {
        let router = RPCRouter(service: CRM.Service.descriptor)
        CRMHandlers(database: database, assignees: assignees).register(on: router)
        return CRMFixture(database: database, client: RPCInProcessClient(router: router))
    }

    /// A fresh organization id.
    static func organization() -> UUID { UUID() }

    /// A principal of `organization` with `role` (a new user id unless given).
    static func principal(_ organization: UUID, role: Role = .admin, user: UUID = UUID()) -> Principal {
        Principal(
            organizationId: organization.uuidString.lowercased(), userId: user.uuidString.lowercased(),
            role: role.rawValue)
    }

    /// Calls `method` as the gateway would for `principal`.
    func call<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, as principal: Principal
    ) async throws -> Output {
        try await client.call(
            method, request, metadata: CallMetadata(requestID: "test", caller: "gateway", principal: principal),
            timeout: .seconds(30))
    }

    /// Calls `method` as the platform service `caller` (no principal).
    func service<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, caller: String = "conversations"
    ) async throws -> Output {
        try await client.call(
            method, request, metadata: CallMetadata(requestID: "test", caller: caller, principal: Principal()),
            timeout: .seconds(30))
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

    /// How many outbox events of `type` name the lead `leadID`.
    func events(_ type: String, leadID: String) async throws -> Int {
        let rows = try await database.query(
            "SELECT count(*)::bigint AS n FROM outbox WHERE event_type = $1 AND aggregate_id = $2",
            [type, UUID(uuidString: leadID)])
        return try rows.firstRow!.decode(Int.self, "n")
    }

    /// The activities of `type` on the lead.
    func activities(_ type: String, leadID: String) async throws -> [(userID: UUID?, metadata: String)] {
        let rows = try await database.query(
            "SELECT user_id, metadata::text AS metadata FROM lead_activities WHERE type = $1 AND lead_id = $2 ORDER BY created_at",
            [type, UUID(uuidString: leadID)])
        return try rows.map { (try $0.decode(UUID?.self, "user_id"), try $0.decode(String.self, "metadata")) }
    }
}

/// Builds the test database once per process: provisions the `crm` role and schema and
/// applies the service's migrations from the source tree, as the service itself would.
actor SharedCRMDatabase {
    static let instance = SharedCRMDatabase()
    private var building: Task<CRMFixture, any Error>?

    func fixture() async throws -> CRMFixture {
        if let building { return try await building.value }
        let task = Task { try await Self.build() }
        building = task
        return try await task.value
    }

    private static func build() async throws -> CRMFixture {
        let logger = Logger(label: "CRMTests")
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(
            service: "crm", poolSize: 12, logger: logger)
        let router = RPCRouter(service: CRM.Service.descriptor)
        CRMHandlers(database: database).register(on: router)
        return CRMFixture(database: database, client: RPCInProcessClient(router: router))
    }
}
