import Logging

/// Creates a service's login role and schema, with privileges on that schema only.
///
/// For service `crm`: role `smarterchat_crm` (LOGIN, no superuser/createdb/createrole,
/// `search_path` = `crm`), schema `crm` owned by it and closed to PUBLIC, and
/// `CREATE` on schema `public` revoked from PUBLIC. Other services' schemas are owned by
/// their own roles and not granted to anyone, so the role cannot read them. Idempotent;
/// run it with an administrator's client (`smarterchatctl`, tests).
public enum ServiceSchemaProvisioner {
    /// The login role of a service (`smarterchat_<service>`).
    public static func roleName(for service: String) -> String { "smarterchat_" + service }

    /// Provisions `service`; with a `password` the role gets a SCRAM-SHA-256 verifier of it
    /// (computed client-side, the password is never sent), without one its password is left
    /// as it is (peer/trust authentication).
    public static func provision(
        service: String, password: String? = nil, using admin: PostgresClient, logger: Logger
    ) async throws {
        try SQLIdentifier.validate(service, what: "service name")
        let role = roleName(for: service)
        try await admin.withTransaction(logger: logger) { connection in
            // Serialises provisioners of one database; roles are cluster-wide, hence the
            // tolerance of a concurrent CREATE ROLE below.
            try await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ["smarterchat.provision"])
            let exists = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])
            if exists.isEmpty {
                try await connection.execute("SAVEPOINT create_role")
                do {
                    try await connection.execute(PostgresQuery(unsafeSQL: "CREATE ROLE \"\(role)\" LOGIN"))
                    try await connection.execute("RELEASE SAVEPOINT create_role")
                } catch let error as PostgresError where error.sqlState == "42710" || error.sqlState == "23505" {
                    try await connection.execute("ROLLBACK TO SAVEPOINT create_role")
                }
            }
            try await connection.execute(
                PostgresQuery(unsafeSQL: "ALTER ROLE \"\(role)\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
            )
            if let password {
                let verifier = try await connection.encryptPassword(password, user: role)
                let literal = try await connection.quoteLiteral(verifier)
                try await connection.execute(PostgresQuery(unsafeSQL: "ALTER ROLE \"\(role)\" PASSWORD \(literal)"))
            }
            let schema = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [service])
            if schema.isEmpty {
                try await connection.execute(
                    PostgresQuery(unsafeSQL: "CREATE SCHEMA \"\(service)\" AUTHORIZATION \"\(role)\""))
            } else {
                try await connection.execute(
                    PostgresQuery(unsafeSQL: "ALTER SCHEMA \"\(service)\" OWNER TO \"\(role)\""))
            }
            try await connection.execute(PostgresQuery(unsafeSQL: "REVOKE ALL ON SCHEMA \"\(service)\" FROM PUBLIC"))
            try await connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            try await connection.execute(
                PostgresQuery(unsafeSQL: "ALTER ROLE \"\(role)\" SET search_path TO \"\(service)\""))
        }
        logger.debug("provisioned service schema", metadata: ["db.schema": "\(service)", "db.role": "\(role)"])
    }
}
