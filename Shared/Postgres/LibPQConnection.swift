import CLibPQ
import Foundation

/// The one place that holds a `PGconn *`: every libpq call of the package goes through here.
///
/// Not thread-safe by itself: it is only used from its connection's ``BlockingWorker``
/// thread, which runs one job at a time. All results are copied into Swift values before
/// the `PGresult` is freed.
final class LibPQConnection: @unchecked Sendable {
    // @unchecked: `conn` is only touched on the owning worker thread (see type comment);
    // `cancel` is created once at connect and libpq documents PQcancel as thread-safe.
    private var conn: OpaquePointer?
    private let cancelHandle: OpaquePointer?
    /// Server-side prepared statements of this connection: (SQL, parameter types) → name.
    private var prepared: [PreparedKey: String] = [:]
    private var nextStatement = 0
    /// Exchanges with the server so far: one per statement, pipeline or script (diagnostics).
    private(set) var roundTrips = 0

    private struct PreparedKey: Hashable {
        var sql: String
        var types: [Oid]
    }

    /// Statements kept prepared per connection; past it, further ones are parsed and planned
    /// at each execution as before.
    static let maximumPreparedStatements = 400

    private init(conn: OpaquePointer) {
        self.conn = conn
        self.cancelHandle = PQgetCancel(conn)
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        if let conn { PQfinish(conn) }
    }

    /// Opens a connection (blocking, bounded by the configured connect timeout).
    static func connect(_ configuration: PostgresConfiguration) throws -> LibPQConnection {
        let parameters = configuration.connectionParameters
        let keys = parameters.map { strdup($0.0) }
        let values = parameters.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        let keyPointers: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        let valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        guard let conn = PQconnectdbParams(keyPointers, valuePointers, 0) else {
            throw PostgresError(code: .unavailable, message: "could not allocate a database connection")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let detail = String(cString: PQerrorMessage(conn))
            PQfinish(conn)
            // Authentication and unknown-database failures are not "server down".
            let code: PostgresError.Code =
                detail.contains("authentication") || detail.contains("does not exist")
                ? .permissionDenied : .unavailable
            throw PostgresError(code: code, message: "could not connect to the database", serverMessage: detail)
        }
        // The server's NOTICEs ("relation ... already exists, skipping") would otherwise go to
        // standard error unstructured; they are informational, so they are dropped.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        return LibPQConnection(conn: conn)
    }

    /// Whether libpq still believes the connection is usable.
    var isOK: Bool { conn.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// The server process id serving this connection.
    var backendPID: Int32 { conn.map { PQbackendPID($0) } ?? 0 }

    /// The connection's socket descriptor, or -1.
    var socket: Int32 { conn.map { PQsocket($0) } ?? -1 }

    /// Checks, without blocking, that the server has not closed the connection: a socket
    /// that is readable while idle means EOF or an error notice (server restart).
    func isAlive() -> Bool {
        guard let conn, PQstatus(conn) == CONNECTION_OK else { return false }
        let ready = pollReadable(conn)
        if ready < 0 { return false }
        if ready == 0 { return true }
        return PQconsumeInput(conn) == 1 && PQstatus(conn) == CONNECTION_OK && !hasEOF(PQsocket(conn))
    }

    /// Whether the idle connection is open and its socket has nothing to read: alive, as
    /// far as a zero-timeout poll can tell. Safe from the thread that leased the connection
    /// while no statement runs (it reads libpq's state and polls; false: ask ``isAlive()``).
    var isQuiet: Bool {
        guard let conn, PQstatus(conn) == CONNECTION_OK else { return false }
        return pollReadable(conn) == 0
    }

    /// A zero-timeout poll of the connection's socket for reading: 1 readable, 0 quiet,
    /// -1 error.
    private func pollReadable(_ conn: OpaquePointer) -> Int32 {
        var descriptor = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0)
    }

    private func hasEOF(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let peeked = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return peeked == 0
    }

    /// Runs one statement with `$n` parameters (extended protocol; text in, text out).
    ///
    /// The statement is prepared on the server the first time this connection runs it (per
    /// SQL text and parameter types) and executed by name afterwards, so the server parses,
    /// analyses and — once its plan cache settles — plans it once per connection instead of
    /// at every call; most of the database's CPU in a reply went there before (docs/
    /// operations.md, "Prepared statements"). Prepared statements outlive a rolled-back
    /// transaction (protocol-level), and a server that reports one gone or stale drops it here.
    func execute(_ sql: String, _ binds: [PostgresBind]) throws -> PostgresRows {
        guard let conn else { throw PostgresError(code: .unavailable, message: "the connection is closed") }
        let (values, types) = Self.parameters(binds)
        defer { Self.release(values) }
        let key = PreparedKey(sql: sql, types: types)
        roundTrips += 1
        var name = prepared[key]
        if name == nil, prepared.count < Self.maximumPreparedStatements {
            let candidate = newStatementName()
            roundTrips += 1
            _ = try consume(PQprepare(conn, candidate, sql, Int32(types.count), types))
            prepared[key] = candidate
            name = candidate
        }
        guard let name else {
            return try consume(PQexecParams(conn, sql, Int32(binds.count), types, values, nil, nil, 0))
        }
        do {
            return try consume(PQexecPrepared(conn, name, Int32(binds.count), values, nil, nil, 0))
        } catch let error as PostgresError where error.sqlState == "26000" || error.sqlState == "0A000" {
            // 26000: the statement is gone (DISCARD ALL, DEALLOCATE); 0A000: "cached plan must
            // not change result type" after a table changed. Forget it (the next call prepares
            // it anew); outside a transaction nothing was aborted, so run it unprepared now.
            prepared.removeValue(forKey: key)
            guard PQtransactionStatus(conn) == PQTRANS_IDLE else { throw error }
            roundTrips += 1
            return try consume(PQexecParams(conn, sql, Int32(binds.count), types, values, nil, nil, 0))
        }
    }

    /// Runs `statements` in one round trip (libpq pipeline mode: all are sent, then one Sync)
    /// and answers their results in order. Each runs as ``execute(_:_:)`` would (prepared on
    /// first use); they form no transaction of their own beyond what they contain (a `BEGIN`
    /// among them opens one that stays open after the Sync). The first failure is thrown;
    /// the server skipped every statement after it.
    func executePipeline(_ statements: [(sql: String, binds: [PostgresBind])]) throws -> [PostgresRows] {
        guard let conn else { throw PostgresError(code: .unavailable, message: "the connection is closed") }
        if statements.count <= 1 { return try statements.map { try execute($0.sql, $0.binds) } }
        roundTrips += 1
        guard PQenterPipelineMode(conn) == 1 else {
            throw PostgresError(code: .unavailable, message: "the connection could not enter pipeline mode")
        }
        // What was sent, in order: a Parse of a new prepared statement (its key, to remember it
        // once the server accepted it) or a statement's execution.
        enum Sent {
            case prepare(PreparedKey, String)
            case statement(PreparedKey?)
        }
        var sent: [Sent] = []
        var preparing: [PreparedKey: String] = [:]
        var sendFailed = false
        for (sql, binds) in statements {
            let (values, types) = Self.parameters(binds)
            defer { Self.release(values) }
            let key = PreparedKey(sql: sql, types: types)
            var name = prepared[key] ?? preparing[key]
            if name == nil, prepared.count + preparing.count < Self.maximumPreparedStatements {
                let candidate = newStatementName()
                guard PQsendPrepare(conn, candidate, sql, Int32(types.count), types) == 1 else {
                    sendFailed = true
                    break
                }
                sent.append(.prepare(key, candidate))
                preparing[key] = candidate
                name = candidate
            }
            let queued =
                if let name {
                    PQsendQueryPrepared(conn, name, Int32(binds.count), values, nil, nil, 0)
                } else {
                    PQsendQueryParams(conn, sql, Int32(binds.count), types, values, nil, nil, 0)
                }
            guard queued == 1 else {
                sendFailed = true
                break
            }
            sent.append(.statement(name == nil ? nil : key))
        }
        guard !sendFailed, PQpipelineSync(conn) == 1 else {
            let detail = String(cString: PQerrorMessage(conn))
            close()
            throw PostgresError(code: .unavailable, message: "the database connection failed", serverMessage: detail)
        }
        // Every result is read (each followed by a NULL, then the Sync's) so that the
        // connection leaves pipeline mode idle, whatever failed.
        var rows: [PostgresRows] = []
        var firstError: (any Error)?
        for item in sent {
            guard let result = PQgetResult(conn) else {
                // No result where one was due: the connection broke.
                close()
                throw firstError
                    ?? PostgresError(
                        code: .unavailable, message: "the database connection failed", sqlState: "08006")
            }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)
            } else {
                do {
                    let answer = try consume(result)
                    switch item {
                    case .prepare(let key, let name): prepared[key] = name
                    case .statement: rows.append(answer)
                    }
                } catch {
                    // A statement gone or stale on the server (see execute): prepared anew next time.
                    if case .statement(let key?) = item, let failure = error as? PostgresError,
                        failure.sqlState == "26000" || failure.sqlState == "0A000"
                    {
                        prepared.removeValue(forKey: key)
                    }
                    if firstError == nil { firstError = error }
                }
            }
            while let extra = PQgetResult(conn) { PQclear(extra) }
        }
        // Then the Sync's own result.
        while let result = PQgetResult(conn) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        guard PQexitPipelineMode(conn) == 1 else {
            close()
            throw firstError
                ?? PostgresError(code: .unavailable, message: "the connection could not leave pipeline mode")
        }
        if let firstError { throw firstError }
        return rows
    }

    /// The name of the next statement this connection prepares.
    private func newStatementName() -> String {
        defer { nextStatement += 1 }
        return "sc\(nextStatement)"
    }

    /// The parameters as libpq takes them: C strings (nil for NULL; release them with
    /// ``release(_:)`` once sent) and their type OIDs.
    private static func parameters(_ binds: [PostgresBind]) -> (values: [UnsafePointer<CChar>?], types: [Oid]) {
        (binds.map { bind in bind.text.map { UnsafePointer(strdup($0)!) } }, binds.map { Oid($0.typeOID) })
    }

    private static func release(_ values: [UnsafePointer<CChar>?]) {
        values.forEach { Foundation.free(UnsafeMutablePointer(mutating: $0)) }
    }

    /// How many statements this connection keeps prepared (tests).
    var preparedCount: Int { prepared.count }

    /// Runs a script of one or more statements without parameters (simple protocol), for
    /// migration files and utility statements that cannot take parameters.
    func executeScript(_ sql: String) throws {
        guard let conn else { throw PostgresError(code: .unavailable, message: "the connection is closed") }
        roundTrips += 1
        _ = try consume(PQexec(conn, sql))
        // PQexec returns the last result only; earlier ones were consumed by libpq.
    }

    /// Quotes an identifier (`"name"`) with libpq's rules.
    func quoteIdentifier(_ name: String) throws -> String {
        guard let conn, let quoted = PQescapeIdentifier(conn, name, name.utf8.count) else {
            throw PostgresError(code: .invalidArgument, message: "identifier could not be quoted")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// Quotes a literal (`'text'`) with libpq's rules, for utility statements only.
    func quoteLiteral(_ value: String) throws -> String {
        guard let conn, let quoted = PQescapeLiteral(conn, value, value.utf8.count) else {
            throw PostgresError(code: .invalidArgument, message: "literal could not be quoted")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// The SCRAM-SHA-256 verifier of `password` for `user`, computed client-side.
    func encryptPassword(_ password: String, user: String) throws -> String {
        guard let conn, let encrypted = PQencryptPasswordConn(conn, password, user, "scram-sha-256") else {
            throw PostgresError(code: .internal, message: "password could not be encrypted")
        }
        defer { PQfreemem(encrypted) }
        return String(cString: encrypted)
    }

    /// Reads what the server sent and returns the notifications received so far.
    /// Throws ``PostgresError/Code/unavailable`` when the connection is lost.
    func drainNotifications() throws -> [PostgresNotification] {
        guard let conn, PQconsumeInput(conn) == 1, PQstatus(conn) == CONNECTION_OK else {
            throw PostgresError(code: .unavailable, message: "the listening connection was lost")
        }
        var received: [PostgresNotification] = []
        while let notify = PQnotifies(conn) {
            let item = notify.pointee
            received.append(
                PostgresNotification(
                    channel: String(cString: item.relname), payload: String(cString: item.extra),
                    senderPID: Int(item.be_pid)))
            PQfreemem(notify)
        }
        return received
    }

    /// Asks the server to cancel the running statement; safe from any thread.
    func cancel() {
        guard let cancelHandle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
    }

    /// Closes the connection now (on the worker thread).
    func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    private func consume(_ result: OpaquePointer?) throws -> PostgresRows {
        guard let result else {
            throw PostgresError(code: .unavailable, message: "the database connection failed", sqlState: "08006")
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresRows(columns: [], cells: [], affectedRows: affected(result))
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            return copyRows(result)
        default:
            let state = field(result, smarterchat_PG_DIAG_SQLSTATE)
            let brokenConnection = conn.map { PQstatus($0) != CONNECTION_OK } ?? true
            throw PostgresError.fromServer(
                sqlState: state ?? (brokenConnection ? "08006" : "XX000"),
                constraint: field(result, smarterchat_PG_DIAG_CONSTRAINT_NAME),
                serverMessage: field(result, smarterchat_PG_DIAG_MESSAGE_PRIMARY)
                    ?? conn.map { String(cString: PQerrorMessage($0)) })
        }
    }

    private func field(_ result: OpaquePointer, _ code: Int32) -> String? {
        PQresultErrorField(result, code).map { String(cString: $0) }
    }

    private func affected(_ result: OpaquePointer) -> Int {
        guard let tuples = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: tuples)) ?? 0
    }

    private func copyRows(_ result: OpaquePointer) -> PostgresRows {
        let rowCount = Int(PQntuples(result)), columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var cells: [String?] = []
        cells.reserveCapacity(rowCount * columnCount)
        for row in 0..<Int32(rowCount) {
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(result, row, column) == 1 {
                    cells.append(nil)
                } else {
                    cells.append(String(cString: PQgetvalue(result, row, column)))
                }
            }
        }
        return PostgresRows(columns: columns, cells: cells, affectedRows: rowCount)
    }
}
