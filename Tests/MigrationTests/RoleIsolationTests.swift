import Postgres
import Testing

/// A service's role has privileges on its own schema only (DESIGN.md §3): it cannot read
/// another service's tables and cannot create objects in `public`.
@Suite("Each service's role is confined to its own schema")
struct RoleIsolationTests {
    /// Every (reader, other service) pair.
    static let pairs: [(ServiceSchema, ServiceSchema)] = ServiceSchema.all.flatMap { reader in
        ServiceSchema.all.filter { $0 != reader }.map { (reader, $0) }
    }

    @Test("a role can read its own tables", arguments: ServiceSchema.all)
    func readsOwnTables(service: ServiceSchema) async throws {
        let database = try await MigratedDatabase.shared()
        try await database.withRole(service) { client in
            for table in SeedTables.tables(of: service) {
                // Must not throw; the row count itself depends on other tests.
                _ = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.qualifiedName)"))
            }
        }
    }

    @Test("a role cannot SELECT from another service's tables (42501)", arguments: pairs)
    func cannotReadOtherSchemas(reader: ServiceSchema, owner: ServiceSchema) async throws {
        let database = try await MigratedDatabase.shared()
        try await database.withRole(reader) { client in
            for table in SeedTables.tables(of: owner) {
                let error = await postgresError {
                    _ = try await client.query(PostgresQuery(unsafeSQL: "SELECT * FROM \(table.qualifiedName) LIMIT 1"))
                }
                #expect(error?.sqlState == "42501", "\(reader.role) reading \(table)")
                #expect(error?.code == .permissionDenied)
            }
        }
    }

    @Test("a role cannot create a table or a function in schema public (42501)", arguments: ServiceSchema.all)
    func cannotCreateInPublic(service: ServiceSchema) async throws {
        let database = try await MigratedDatabase.shared()
        try await database.withRole(service) { client in
            let table = await postgresError {
                try await client.execute(
                    PostgresQuery(unsafeSQL: "CREATE TABLE public.\(service.name)_intruder (id int)"))
            }
            #expect(table?.sqlState == "42501")
            let function = await postgresError {
                try await client.execute(
                    PostgresQuery(
                        unsafeSQL: """
                            CREATE FUNCTION public.\(service.name)_intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'
                            """))
            }
            #expect(function?.sqlState == "42501")
        }
    }

    @Test("a role cannot create objects in another service's schema (42501)", arguments: ServiceSchema.all)
    func cannotCreateInOtherSchemas(service: ServiceSchema) async throws {
        let database = try await MigratedDatabase.shared()
        try await database.withRole(service) { client in
            for other in ServiceSchema.all where other != service {
                let error = await postgresError {
                    try await client.execute(PostgresQuery(unsafeSQL: "CREATE TABLE \(other.schema).intruder (id int)"))
                }
                #expect(error?.sqlState == "42501", "\(service.role) creating in \(other.schema)")
            }
        }
    }
}
