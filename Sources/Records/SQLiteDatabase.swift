import CSQLite

/// One SQLite connection, used by one thread (the records writer's). Errors carry
/// SQLite's own message.
public final class SQLiteDatabase {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private var handle: OpaquePointer?
    public let path: String

    public init(path: String) throws(Failure) {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw Failure(description: "\(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close(handle) }

    public func execute(_ sql: String) throws(Failure) {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "error"
            sqlite3_free(error)
            throw Failure(description: "\(message) (in: \(sql.prefix(80)))")
        }
    }

    public func prepare(_ sql: String) throws(Failure) -> Statement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw Failure(description: "\(String(cString: sqlite3_errmsg(handle))) (in: \(sql.prefix(80)))")
        }
        return Statement(statement, database: self)
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    /// A prepared statement: bind by position (1-based), step, read columns, reset.
    public final class Statement {
        private let statement: OpaquePointer
        private unowned let database: SQLiteDatabase

        init(_ statement: OpaquePointer, database: SQLiteDatabase) {
            self.statement = statement
            self.database = database
        }

        deinit { sqlite3_finalize(statement) }

        public enum Value {
            case integer(Int64)
            case text(String)
            case null
        }

        /// Binds `values`, runs the statement to completion, resets it.
        public func run(_ values: [Value]) throws(Failure) {
            try bind(values)
            defer { sqlite3_reset(statement) }
            let rc = sqlite3_step(statement)
            guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw Failure(description: database.lastError) }
        }

        /// Binds `values` and returns every row, each as its columns.
        public func rows(_ values: [Value] = []) throws(Failure) -> [[Value]] {
            try bind(values)
            defer { sqlite3_reset(statement) }
            var result: [[Value]] = []
            while true {
                let rc = sqlite3_step(statement)
                if rc == SQLITE_DONE { return result }
                guard rc == SQLITE_ROW else { throw Failure(description: database.lastError) }
                var row: [Value] = []
                for column in 0..<sqlite3_column_count(statement) {
                    switch sqlite3_column_type(statement, column) {
                    case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                    case SQLITE_NULL: row.append(.null)
                    default: row.append(.text(String(cString: sqlite3_column_text(statement, column))))
                    }
                }
                result.append(row)
            }
        }

        private func bind(_ values: [Value]) throws(Failure) {
            sqlite3_clear_bindings(statement)
            for (i, value) in values.enumerated() {
                let position = Int32(i + 1)
                let rc: Int32
                switch value {
                case .integer(let n): rc = sqlite3_bind_int64(statement, position, n)
                case .null: rc = sqlite3_bind_null(statement, position)
                case .text(let s):
                    rc = s.utf8CString.withUnsafeBufferPointer { csqlite_bind_text(statement, position, $0.baseAddress, Int32($0.count - 1)) }
                }
                guard rc == SQLITE_OK else { throw Failure(description: database.lastError) }
            }
        }
    }
}

extension SQLiteDatabase.Statement.Value {
    public init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    public init(_ number: Int64?) { self = number.map { .integer($0) } ?? .null }

    public var integer: Int64? { if case .integer(let n) = self { return n }; return nil }
    public var text: String? { if case .text(let s) = self { return s }; return nil }
}
