import Contracts
import Postgres
import RPC
import Testing

@testable import ServiceKit

@Suite("Database errors reach callers with the status their SQLSTATE means")
struct PostgresErrorMappingTests {
    @Test(
        "a handler's PostgresError is answered with the mapped status",
        arguments: [
            (PostgresError.Code.alreadyExists, RPCError.Code.alreadyExists),
            (.failedPrecondition, .failedPrecondition),
            (.invalidArgument, .invalidArgument),
            (.aborted, .aborted),
            (.unavailable, .unavailable),
            (.permissionDenied, .permissionDenied),
            (.internal, .internalError),
            (.decodingFailed, .internalError),
        ])
    func mapped(database: PostgresError.Code, expected: RPCError.Code) async throws {
        let router = RPCRouter(service: PlatformService.crm.descriptor)
        router.register(PlatformService.crm.health) { _, _ -> Common.HealthResponse in
            throw PostgresError(
                code: database, message: "the database refused it", sqlState: "23505",
                serverMessage: "Key (email)=(secret@example.com) already exists.")
        }
        let client = RPCInProcessClient(router: router)
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.call(PlatformService.crm.health, Common.HealthRequest())
        }
        #expect(error?.code == expected)
        #expect(error?.message.contains("secret@example.com") == false)
        if expected == .internalError { #expect(error?.message == "internal error") }
    }
}
