import CSQLite
import Glibc

/// Monotonic nanoseconds (as `DispatchTime.now().uptimeNanoseconds` counts them).
@inline(__always) func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// One SQLite connection, used by one thread (the records writer's). Statements are
/// prepared once and kept. Errors carry SQLite's own message.
public final class SQLiteDatabase: SQLConnection {
    private var handle: OpaquePointer?
    private var statements: [StatementKey: OpaquePointer] = [:]
    /// The text parameters of the statement being run, copied here and bound without
    /// SQLite's own copy (`SQLITE_STATIC`): one copy into memory that stays, instead of a
    /// malloc, a copy and a free per text parameter. Valid until the next `query`, by when
    /// the statement that points into it has been reset and is bound again before it runs.
    private var textArena = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
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

    /// A deadline for what runs on this connection (`DispatchTime` nanoseconds; 0: none):
    /// SQLite asks every few thousand instructions (`sqlite3_progress_handler`), and a
    /// statement past it stops with SQLITE_INTERRUPT. Read connections set it per read.
    public final class Deadline: @unchecked Sendable {
        public var at: UInt64 = 0
    }
    public let deadline = Deadline()

    /// Makes `deadline` bind: statements on this connection stop once it has passed.
    public func enforceDeadline() {
        let context = Unmanaged.passUnretained(deadline).toOpaque()
        sqlite3_progress_handler(handle, 4000, { raw in
            guard let raw else { return 0 }
            let deadline = Unmanaged<SQLiteDatabase.Deadline>.fromOpaque(raw).takeUnretainedValue()
            return deadline.at != 0 && monotonicNanoseconds() > deadline.at ? 1 : 0
        }, context)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close(handle)
        textArena.deallocate()
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
        defer { sqlite3_reset(statement) }
        // Every parameter is bound on every run (no `sqlite3_clear_bindings`): a call with
        // too few values would otherwise run with the last call's.
        guard Int(sqlite3_bind_parameter_count(statement)) == values.count else {
            throw RecordsFailure("\(values.count) values for \(sqlite3_bind_parameter_count(statement)) parameters (in: \(sql.prefix(80)))")
        }
        reserveTextArena(for: values)
        var arenaOffset = 0
        for (i, value) in values.enumerated() {
            let position = Int32(i + 1)
            let rc: Int32
            switch value {
            case .integer(let n): rc = sqlite3_bind_int64(statement, position, n)
            case .null: rc = sqlite3_bind_null(statement, position)
            case .text(let s):
                // Never NULL (SQLite binds a NULL pointer as NULL, not ''): the arena always exists.
                let start = textArena.baseAddress! + arenaOffset
                var text = s
                let count = text.withUTF8 { utf8 in
                    if let source = utf8.baseAddress { start.copyMemory(from: source, byteCount: utf8.count) }
                    return utf8.count
                }
                arenaOffset += count
                rc = sqlite3_bind_text(statement, position, start.assumingMemoryBound(to: CChar.self), Int32(count), nil)
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

    private func reserveTextArena(for values: [SQLValue]) {
        var needed = 0
        for case .text(let s) in values { needed += s.utf8.count }
        guard needed > textArena.count else { return }
        textArena.deallocate()
        textArena = .allocate(byteCount: max(needed, 2 * textArena.count, 4096), alignment: 1)
    }

    private func prepared(_ sql: String) throws(RecordsFailure) -> OpaquePointer {
        let key = StatementKey(sql)
        if let statement = statements[key] { return statement }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw RecordsFailure("\(lastError) (in: \(sql.prefix(80)))")
        }
        // SQLite numbers `$N` parameters in the order they first appear, not by N; values
        // are bound by position, so `$2` before `$1` would silently take the wrong value.
        // PostgreSQL reads N: the statements are written for both, so the order is checked.
        // (A bare `?` has no name: it is its position.)
        for position in stride(from: 1, through: sqlite3_bind_parameter_count(statement), by: 1) {
            guard let name = sqlite3_bind_parameter_name(statement, position).map({ String(cString: $0) }), name != "$\(position)" else { continue }
            sqlite3_finalize(statement)
            throw RecordsFailure("parameter \(name) appears where $\(position) should: write $1, $2, … in order (in: \(sql.prefix(80)))")
        }
        statements[key] = statement
        return statement
    }

    /// A statement cache key that hashes the text's length and its last bytes rather than
    /// all of it (hashing every byte of every statement was a few percent of a ledger
    /// write); equality is still the whole text, so a collision costs a compare, never a
    /// wrong statement.
    private struct StatementKey: Hashable {
        let sql: String
        init(_ sql: String) { self.sql = sql }
        static func == (a: Self, b: Self) -> Bool { a.sql == b.sql }
        func hash(into hasher: inout Hasher) {
            let utf8 = sql.utf8
            hasher.combine(utf8.count)
            // The last 16 bytes (where statements of one shape differ: their parameters), read
            // as two words straight from the text's storage.
            _ = utf8.withContiguousStorageIfAvailable { bytes in
                guard bytes.count >= 16, let base = bytes.baseAddress else { return }
                let raw = UnsafeRawPointer(base + bytes.count - 16)
                hasher.combine(raw.loadUnaligned(as: UInt64.self))
                hasher.combine(raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            }
        }
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }

    private var lastError: String { String(cString: sqlite3_errmsg(handle)) }
}
