/// The rows a query returned, copied out of libpq's result so they outlive the connection.
///
/// A random-access collection of ``PostgresRow``; ``affectedRows`` counts the rows an
/// `INSERT`/`UPDATE`/`DELETE` touched (or the rows a `SELECT` returned).
public struct PostgresRows: Sendable, RandomAccessCollection {
    /// The column names, in order.
    public let columns: [String]
    /// The number of rows the command affected, from the command tag (0 when it has none).
    public let affectedRows: Int
    /// Row-major cell texts; `nil` is NULL.
    let cells: [String?]
    let columnIndex: [String: Int]

    init(columns: [String], cells: [String?], affectedRows: Int) {
        self.columns = columns
        self.cells = cells
        self.affectedRows = affectedRows
        var index: [String: Int] = [:]
        for (offset, name) in columns.enumerated() where index[name] == nil { index[name] = offset }
        self.columnIndex = index
    }

    /// The first row's position.
    public var startIndex: Int { 0 }
    /// One past the last row's position.
    public var endIndex: Int { columns.isEmpty ? 0 : cells.count / columns.count }
    /// The row at `position`.
    public subscript(position: Int) -> PostgresRow { PostgresRow(rows: self, row: position) }
}

/// One row of a result; decode its columns by name or by index.
///
/// ```swift
/// let id = try row.decode(UUID.self, "id")
/// let note: String? = try row.decode("note")
/// ```
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let row: Int

    /// The number of columns.
    public var count: Int { rows.columns.count }

    /// The column's text, or `nil` for NULL.
    public func text(at index: Int) throws -> String? {
        guard index >= 0, index < rows.columns.count else {
            throw PostgresError(code: .decodingFailed, message: "column index \(index) is out of range")
        }
        return rows.cells[row * rows.columns.count + index]
    }

    /// Whether the column is NULL.
    public func isNull(_ column: String) throws -> Bool { try text(at: index(of: column)) == nil }

    /// Decodes the column at `index` (0-based) into `type`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T {
        guard let text = try text(at: index) else { return try T.decodeNull() }
        do {
            return try T.decode(postgresText: text)
        } catch var error as PostgresError {
            error.message += " (column \(rows.columns[index]))"
            throw error
        }
    }

    /// Decodes the column named `column` into `type`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        try decode(type, at: index(of: column))
    }

    /// Decodes a json/jsonb column into a `Decodable` value.
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        try decode(PostgresJSON.self, column).decode(type)
    }

    /// The index of the first column named `column`.
    public func index(of column: String) throws -> Int {
        guard let index = rows.columnIndex[column] else {
            throw PostgresError(code: .decodingFailed, message: "no column named \(column)")
        }
        return index
    }
}

extension PostgresRows {
    /// The first row, or `nil` when there is none.
    public var firstRow: PostgresRow? { isEmpty ? nil : self[0] }
}
