import Foundation
import Logging
import Postgres
import Testing

@Suite("Service roles and schemas")
struct ServiceSchemaProvisionerTests {
    @Test("a service role owns its schema and is denied another service's schema")
    func isolation() async throws {
        try await withTestClient { admin, configuration in
            // Roles are cluster-wide: unique names keep concurrent tests apart.
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let serviceA = "svc_a_\(suffix)", serviceB = "svc_b_\(suffix)"
            let logger = Logger(label: "test")
            for service in [serviceA, serviceB, serviceA] {  // the repeat checks idempotence
                try await ServiceSchemaProvisioner.provision(
                    service: service, password: "s3cret'pw", using: admin, logger: logger)
            }
            var asA = configuration
            asA.user = ServiceSchemaProvisioner.roleName(for: serviceA)
            var asB = configuration
            asB.user = ServiceSchemaProvisioner.roleName(for: serviceB)
            let clientA = PostgresClient(configuration: asA, logger: logger)
            let clientB = PostgresClient(configuration: asB, logger: logger)

            // Each role migrates its own schema (search_path points at it).
            try await Migrator(client: clientB, schema: serviceB, logger: logger)
                .migrate([
                    Migration(
                        version: 1, name: "secrets",
                        sql: "CREATE TABLE secrets (v text); INSERT INTO secrets VALUES ('b');")
                ])
            try await Migrator(client: clientA, schema: serviceA, logger: logger)
                .migrate([Migration(version: 1, name: "items", sql: "CREATE TABLE items (v text);")])
            try await clientA.execute("INSERT INTO items VALUES ($1)", ["mine"])
            let own = try await clientA.query("SELECT v FROM items")
            #expect(try own.firstRow?.decode(String.self, "v") == "mine")

            let denied = await postgresError {
                _ = try await clientA.query(PostgresQuery(unsafeSQL: "SELECT v FROM \"\(serviceB)\".secrets"))
            }
            #expect(denied?.code == .permissionDenied)
            #expect(denied?.sqlState == "42501")
            let publicDenied = await postgresError { try await clientA.execute("CREATE TABLE public.sneaky (x int)") }
            #expect(publicDenied?.code == .permissionDenied)

            let owner = try await admin.query(
                "SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = $1", [serviceA])
            #expect(
                try owner.firstRow?.decode(String.self, "owner") == ServiceSchemaProvisioner.roleName(for: serviceA))
            let flags = try await admin.query(
                "SELECT rolsuper, rolcreatedb, rolpassword IS NOT NULL AS has_password FROM pg_authid WHERE rolname = $1",
                [asA.user])
            #expect(try flags.firstRow?.decode(Bool.self, "rolsuper") == false)
            #expect(try flags.firstRow?.decode(Bool.self, "has_password") == true)
            await clientA.close()
            await clientB.close()
        }
    }

    @Test("a service name that is not a plain identifier is refused")
    func badName() async throws {
        try await withTestClient { admin, _ in
            let error = await postgresError {
                try await ServiceSchemaProvisioner.provision(
                    service: "crm\"; DROP", using: admin, logger: Logger(label: "t"))
            }
            #expect(error?.code == .invalidArgument)
        }
    }
}
