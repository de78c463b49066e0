import Foundation

/// One numbered SQL file of a service's schema history (`0001_create_leads.sql`).
public struct Migration: Sendable, Hashable {
    /// The version, from the file name's number; applied in ascending order.
    public var version: Int
    /// The descriptive part of the file name (`create_leads`).
    public var name: String
    /// The SQL script; it may hold several statements but no `BEGIN`/`COMMIT` (the
    /// migrator wraps each file in its own transaction).
    public var sql: String

    /// Creates a migration from its parts.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// `0001_create_leads` — how logs and errors name the migration.
    public var label: String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name
    }

    /// Reads every `NNNN_name.sql` file of `directory`, sorted by version; other files are
    /// ignored. Throws ``PostgresError/Code/migrationFailed`` on a repeated version.
    public static func load(from directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        var migrations: [Migration] = []
        for file in files where file.pathExtension == "sql" {
            let stem = file.deletingPathExtension().lastPathComponent
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else { continue }
            let sql = try String(contentsOf: file, encoding: .utf8)
            migrations.append(
                Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        try validate(migrations)
        return migrations.sorted { $0.version < $1.version }
    }

    /// Throws when two migrations share a version or a version is not positive.
    static func validate(_ migrations: [Migration]) throws {
        var seen = Set<Int>()
        for migration in migrations {
            guard migration.version > 0, seen.insert(migration.version).inserted else {
                throw PostgresError(
                    code: .migrationFailed,
                    message: "migration version \(migration.version) is repeated or not positive")
            }
        }
    }
}

/// Names that may be spliced into DDL as identifiers: lower-case letters, digits and `_`.
enum SQLIdentifier {
    static func validate(_ name: String, what: String) throws {
        let valid =
            !name.isEmpty && name.utf8.count <= 48
            && name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
            && !(name.utf8.first! >= 48 && name.utf8.first! <= 57)
        guard valid else {
            throw PostgresError(code: .invalidArgument, message: "\(what) must be lower-case letters, digits and _")
        }
    }
}
