/// SQL text with `$1…$n` placeholders.
///
/// Written as a string literal (`"SELECT … WHERE id = $1"`), so values cannot be spliced
/// into it by accident; SQL assembled at run time must say so with ``init(unsafeSQL:)``.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringLiteral {
    /// The SQL text.
    public let sql: String

    /// SQL from a literal in the source.
    public init(stringLiteral value: StaticString) {
        self.sql = value.description
    }

    /// SQL built at run time. Only identifiers and fixed fragments may go into it — values
    /// go in parameters.
    public init(unsafeSQL sql: String) {
        self.sql = sql
    }
}
