import Foundation
import Logging
import Postgres

// TEMPORARY: stands in for Postgres.Migrator / PostgresProvisioning until they land, so the
// package compiles meanwhile. Internal declarations shadow the library's; delete this file
// once Shared/Postgres has them.
struct Migrator {
    let schema: String
    let directory: URL

    init(schema: String, directory: URL) throws {
        self.schema = schema
        self.directory = directory
    }

    func migrate(using database: PostgresClient, logger: Logger) async throws -> Int {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        return try await database.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(hashtext($1))", [schema])
            defer { }
            var version = 0
            for file in files {
                let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                try await connection.executeScript(PostgresQuery(unsafeSQL: "SET search_path TO \(schema);\n" + sql))
                version = Int(file.prefix(4)) ?? version
            }
            _ = try await connection.query("SELECT pg_advisory_unlock(hashtext($1))", [schema])
            return version
        }
    }
}
