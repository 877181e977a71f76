import CLibPQ
import Glibc

/// One PostgreSQL connection through libpq (blocking calls: it lives on the money
/// engine's thread, never on a loop). Each statement is prepared once (parsed and planned
/// once, not per call) and run with its parameters as text; a lost connection is reset
/// before the next statement (its prepared statements with it), so the hub recovers by
/// itself when the server comes back.
public final class PostgresConnection: SQLConnection {
    var connection: OpaquePointer?
    private let url: String
    /// SQL → the name it was prepared under, on this connection.
    private var prepared: [String: String] = [:]
    public var dialect: SQLDialect { .postgres }
    public let name: String

    public init(url: String) throws(RecordsFailure) {
        // libpq waits for a connect forever by default: a server that vanished would hold
        // the writer thread (and shutdown, which waits for it).
        self.url = url.contains("connect_timeout=") ? url : url + (url.contains("?") ? "&" : "?") + "connect_timeout=5"
        name = Self.withoutPassword(url)
        connection = PQconnectdb(self.url)
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.message(connection)
            PQfinish(connection)
            connection = nil
            throw RecordsFailure("\(name): \(message)")
        }
        _ = try query("SET client_min_messages = warning", [])
    }

    deinit { PQfinish(connection) }

    public func execute(_ sql: String) throws(RecordsFailure) {
        try reconnectIfNeeded()
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw RecordsFailure("\(Self.message(connection)) (in: \(sql.prefix(80)))", sqlState: Self.sqlState(result))
        }
    }

    public private(set) var changes = 0

    @discardableResult
    public func query(_ sql: String, _ values: [SQLValue]) throws(RecordsFailure) -> [[SQLValue]] {
        try reconnectIfNeeded()
        let texts: [String?] = values.map(\.text)
        // A parameter goes as a C string: a NUL would end it there, and the row would be
        // another's (PostgreSQL's text cannot hold NUL). The API refuses such input; this
        // is the last line, loud rather than silently cut.
        if texts.contains(where: { $0?.utf8.contains(0) == true }) {
            throw RecordsFailure("a text value holds a NUL character (in: \(sql.prefix(80)))")
        }
        let cStrings: [UnsafeMutablePointer<CChar>?] = texts.map { $0.flatMap { strdup($0) } }
        defer { for p in cStrings { free(p) } }
        let statement = try statementName(sql, parameters: values.count)
        let result: OpaquePointer? = cStrings.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, buffer.count)) { params in
                PQexecPrepared(connection, statement, Int32(values.count), values.isEmpty ? nil : params, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw RecordsFailure("\(Self.message(connection)) (in: \(sql.prefix(80)))", sqlState: Self.sqlState(result))
        }
        changes = Int(String(cString: PQcmdTuples(result))) ?? 0
        var rows: [[SQLValue]] = []
        for row in 0..<PQntuples(result) {
            var columns: [SQLValue] = []
            for column in 0..<PQnfields(result) {
                if PQgetisnull(result, row, column) == 1 {
                    columns.append(.null)
                } else {
                    let text = String(cString: PQgetvalue(result, row, column))
                    let type = PQftype(result, column)
                    // int8, int4, int2: integers; everything else as text.
                    columns.append([20, 23, 21].contains(type) ? (Int64(text).map { .integer($0) } ?? .text(text)) : .text(text))
                }
            }
            rows.append(columns)
        }
        return rows
    }

    /// libpq pipeline mode (PostgreSQL 14 and later): the statements are sent without
    /// waiting, then their results read in order, in chunks small enough that neither side's
    /// buffers fill while the other waits.
    public func pipelined(_ statements: [(sql: String, values: [SQLValue])]) throws(RecordsFailure) -> [Int] {
        try reconnectIfNeeded()
        var counts: [Int] = []
        var start = 0
        while start < statements.count {
            let chunk = statements[start..<min(statements.count, start + 256)]
            counts += try pipelineChunk(chunk)
            start += chunk.count
        }
        return counts
    }

    private func pipelineChunk(_ statements: ArraySlice<(sql: String, values: [SQLValue])>) throws(RecordsFailure) -> [Int] {
        var names: [String] = []
        for statement in statements { names.append(try statementName(statement.sql, parameters: statement.values.count)) }
        guard PQenterPipelineMode(connection) == 1 else { throw RecordsFailure("\(name): \(Self.message(connection))") }
        defer { PQexitPipelineMode(connection) }
        for (statement, name) in zip(statements, names) {
            let cStrings: [UnsafeMutablePointer<CChar>?] = statement.values.map { $0.text.flatMap { strdup($0) } }
            defer { for p in cStrings { free(p) } }
            let sent = cStrings.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(1, buffer.count)) { params in
                    PQsendQueryPrepared(connection, name, Int32(statement.values.count), statement.values.isEmpty ? nil : params, nil, nil, 0)
                }
            }
            guard sent == 1 else { throw RecordsFailure("\(self.name): \(Self.message(connection))") }
        }
        guard PQpipelineSync(connection) == 1 else { throw RecordsFailure("\(name): \(Self.message(connection))") }
        var counts: [Int] = []
        var failure: RecordsFailure?
        for statement in statements {
            let result = PQgetResult(connection)
            let status = PQresultStatus(result)
            if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
                counts.append(Int(String(cString: PQcmdTuples(result))) ?? 0)
            } else if failure == nil {
                failure = RecordsFailure("\(Self.message(connection)) (in: \(statement.sql.prefix(80)))", sqlState: Self.sqlState(result))
            }
            PQclear(result)
            while let rest = PQgetResult(connection) { PQclear(rest) }  // the NULL that ends each statement's results
        }
        // The sync point.
        while let result = PQgetResult(connection) {
            let done = PQresultStatus(result) == PGRES_PIPELINE_SYNC
            PQclear(result)
            if done { break }
        }
        if let failure { throw failure }
        return counts
    }

    private func statementName(_ sql: String, parameters: Int) throws(RecordsFailure) -> String {
        if let name = prepared[sql] { return name }
        let name = "s\(prepared.count + 1)"
        let result = PQprepare(connection, name, sql, Int32(parameters), nil)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else {
            throw RecordsFailure("\(Self.message(connection)) (in: \(sql.prefix(80)))")
        }
        prepared[sql] = name
        return name
    }

    /// How many times the connection was lost and made anew (what it LISTENed to, it no
    /// longer does).
    public private(set) var resets = 0

    private func reconnectIfNeeded() throws(RecordsFailure) {
        guard PQstatus(connection) != CONNECTION_OK else { return }
        prepared = [:]
        resets += 1
        PQreset(connection)
        guard PQstatus(connection) == CONNECTION_OK else { throw RecordsFailure("\(name): \(Self.message(connection))") }
    }

    /// The SQLSTATE of a failed result (`PG_DIAG_SQLSTATE`, field code 'C').
    static func sqlState(_ result: OpaquePointer?) -> String? {
        guard let result, let field = PQresultErrorField(result, Int32(UInt8(ascii: "C"))) else { return nil }
        return String(cString: field)
    }

    static func message(_ connection: OpaquePointer?) -> String {
        guard let connection, let text = PQerrorMessage(connection) else { return "cannot connect" }
        return String(cString: text).trimmingCharacters(in: " \n")
    }

    /// `postgres://user:secret@host/db` → `postgres://user@host/db`, for messages.
    static func withoutPassword(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@") else { return url }
        let head = url[..<at]  // postgres://user:secret
        guard let slash = head.firstIndex(of: "/") else { return url }
        let second = head.index(after: slash)
        guard second < head.endIndex, head[second] == "/" else { return url }
        guard let colon = head[head.index(after: second)...].firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + String(url[at...])
    }
}
