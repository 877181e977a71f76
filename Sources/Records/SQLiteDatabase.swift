import CSQLite

/// One SQLite connection, used by one thread (the records writer's). Statements are
/// prepared once and kept. Errors carry SQLite's own message.
public final class SQLiteDatabase: SQLConnection {
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    public let path: String
    public var dialect: SQLDialect { .sqlite }
    public var name: String { path }

    public init(path: String) throws(RecordsFailure) {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw RecordsFailure("\(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(handle)
    }

    public func execute(_ sql: String) throws(RecordsFailure) {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "error"
            sqlite3_free(error)
            throw RecordsFailure("\(message) (in: \(sql.prefix(80)))")
        }
    }

    @discardableResult
    public func query(_ sql: String, _ values: [SQLValue] = []) throws(RecordsFailure) -> [[SQLValue]] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (i, value) in values.enumerated() {
            let position = Int32(i + 1)
            let rc: Int32
            switch value {
            case .integer(let n): rc = sqlite3_bind_int64(statement, position, n)
            case .null: rc = sqlite3_bind_null(statement, position)
            case .text(let s):
                var text = s
                rc = text.withUTF8 { csqlite_bind_text(statement, position, $0.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32($0.count)) }
            }
            guard rc == SQLITE_OK else { throw RecordsFailure(lastError) }
        }
        var rows: [[SQLValue]] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw RecordsFailure(lastError) }
            var row: [SQLValue] = []
            for column in 0..<sqlite3_column_count(statement) {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                case SQLITE_NULL: row.append(.null)
                default: row.append(.text(String(cString: sqlite3_column_text(statement, column))))
                }
            }
            rows.append(row)
        }
    }

    private func prepared(_ sql: String) throws(RecordsFailure) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw RecordsFailure("\(lastError) (in: \(sql.prefix(80)))")
        }
        statements[sql] = statement
        return statement
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }

    private var lastError: String { String(cString: sqlite3_errmsg(handle)) }
}
