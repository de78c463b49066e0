/// A column as the catalogs describe it: name, formatted type, nullability and default.
///
/// `type` is spelled the way `information_schema.columns` composes it here
/// (`character varying(255)`, `numeric(3,2)`, `timestamp with time zone`, ...) and
/// `defaultExpression` the way PostgreSQL prints a stored default
/// (`'free'::character varying`, `'{}'::jsonb`, `CURRENT_TIMESTAMP`, `0.7`).
struct ExpectedColumn: Sendable, Hashable, CustomStringConvertible {
    /// Whether the column may hold NULL.
    enum Nullability: Sendable, Hashable { case nullable, notNull }

    let name: String
    let type: String
    let isNullable: Bool
    let defaultExpression: String?

    init(_ name: String, _ type: SQLType, _ nullability: Nullability = .nullable, default value: DefaultValue? = nil) {
        self.name = name
        self.type = type.spelling
        self.isNullable = nullability == .nullable
        self.defaultExpression = value?.expression
    }

    init(name: String, type: String, isNullable: Bool, defaultExpression: String?) {
        self.name = name
        self.type = type
        self.isNullable = isNullable
        self.defaultExpression = defaultExpression
    }

    var description: String {
        "\(name) \(type)\(isNullable ? "" : " NOT NULL")\(defaultExpression.map { " DEFAULT \($0)" } ?? "")"
    }
}

/// A column type as the catalogs spell it.
struct SQLType: Sendable, Hashable {
    let spelling: String

    static let uuid = SQLType(spelling: "uuid")
    static let text = SQLType(spelling: "text")
    static let integer = SQLType(spelling: "integer")
    static let boolean = SQLType(spelling: "boolean")
    static let jsonb = SQLType(spelling: "jsonb")
    /// `TIMESTAMP WITH TIME ZONE`.
    static let timestamptz = SQLType(spelling: "timestamp with time zone")
    /// `VARCHAR(n)`.
    static func varchar(_ length: Int) -> SQLType { SQLType(spelling: "character varying(\(length))") }
    /// `DECIMAL(p,s)`.
    static func numeric(_ precision: Int, _ scale: Int) -> SQLType {
        SQLType(spelling: "numeric(\(precision),\(scale))")
    }
}

/// A column default as PostgreSQL prints it back (`pg_get_expr` of the stored expression).
struct DefaultValue: Sendable, Hashable {
    let expression: String

    /// `DEFAULT gen_random_uuid()`.
    static let newUUID = DefaultValue(expression: "gen_random_uuid()")
    /// `DEFAULT CURRENT_TIMESTAMP`.
    static let now = DefaultValue(expression: "CURRENT_TIMESTAMP")
    /// `DEFAULT TRUE` / `DEFAULT FALSE`.
    static func bool(_ value: Bool) -> DefaultValue { DefaultValue(expression: value ? "true" : "false") }
    /// An integer or decimal literal such as `0`, `1000` or `0.7`.
    static func number(_ literal: String) -> DefaultValue { DefaultValue(expression: literal) }
    /// A string literal on a `VARCHAR` column: `'free'::character varying`.
    static func string(_ value: String) -> DefaultValue { DefaultValue(expression: "'\(value)'::character varying") }
    /// A JSON literal on a `JSONB` column: `'{}'::jsonb`.
    static func json(_ value: String) -> DefaultValue { DefaultValue(expression: "'\(value)'::jsonb") }
}

/// A table a migration must create: where it lives and its columns in order.
struct ExpectedTable: Sendable, Hashable, CustomStringConvertible {
    let schema: String
    let name: String
    let columns: [ExpectedColumn]

    init(_ schema: ServiceSchema, _ name: String, _ columns: [ExpectedColumn]) {
        self.schema = schema.schema
        self.name = name
        self.columns = columns
    }

    /// `schema.name`.
    var qualifiedName: String { "\(schema).\(name)" }

    /// Whether the table has an `updated_at` column (and so needs the §5.1 trigger).
    var hasUpdatedAt: Bool { columns.contains { $0.name == "updated_at" } }

    var description: String { qualifiedName }
}
