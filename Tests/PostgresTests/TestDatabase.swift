import Logging
import Postgres
import TestSupport

/// Runs `body` with a client on a fresh database of the shared test server.
func withTestClient<T: Sendable>(
    poolSize: Int = 4, _ body: (PostgresClient, PostgresConfiguration) async throws -> T
) async throws -> T {
    let server = try await TemporaryPostgres.shared()
    var configuration = try await server.createDatabase()
    configuration.poolSize = poolSize
    let client = PostgresClient(configuration: configuration, logger: Logger(label: "test"))
    do {
        let value = try await body(client, configuration)
        await client.close()
        return value
    } catch {
        await client.close()
        throw error
    }
}

/// The error a throwing call raised, as a `PostgresError`, or `nil` when it did not throw one.
func postgresError(_ body: () async throws -> Void) async -> PostgresError? {
    do {
        try await body()
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        return nil
    }
}
