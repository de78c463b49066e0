import Foundation
import Testing

/// One of the six domain services whose first migration is under test: its schema, its login
/// role and the folder of its numbered SQL files in the source tree.
///
/// The SQL is read from the source tree (located from this file's `#filePath`), not from a
/// bundle, so the test checks exactly the files that are committed.
struct ServiceSchema: Sendable, Hashable, CustomStringConvertible, CustomTestStringConvertible {
    /// The service's name, which is also its schema's name (`crm`).
    let name: String

    /// The PostgreSQL schema the service owns.
    var schema: String { name }

    /// The login role that owns the schema (`smarterchat_crm`).
    var role: String { "smarterchat_\(name)" }

    /// `Services/smarterchat-<name>/Migrations` in the source tree.
    var migrationsDirectory: URL {
        Self.repositoryRoot.appendingPathComponent("Services/smarterchat-\(name)/Migrations", isDirectory: true)
    }

    /// The numbered `.sql` files of the service, in the order they apply.
    func migrationFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: migrationsDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    var description: String { name }
    var testDescription: String { name }

    static let identity = ServiceSchema(name: "identity")
    static let agents = ServiceSchema(name: "agents")
    static let conversations = ServiceSchema(name: "conversations")
    static let crm = ServiceSchema(name: "crm")
    static let hooks = ServiceSchema(name: "hooks")
    static let analytics = ServiceSchema(name: "analytics")

    /// The six services that own a schema (the gateway owns none).
    static let all: [ServiceSchema] = [.identity, .agents, .conversations, .crm, .hooks, .analytics]

    /// The repository's root: two folders above `Tests/MigrationTests/`.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // MigrationTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()
}
