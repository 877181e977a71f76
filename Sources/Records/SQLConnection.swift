/// What the records store needs of a database, so one store writes SQLite and PostgreSQL
/// alike: statements with `$1, $2, …` parameters (both read them), run or queried. Number
/// them in the order they first appear in the text: SQLite binds `$n` by appearance.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Where it is, for messages (a path, or the URL without its password).
    var name: String { get }
    /// One or more statements without parameters.
    func execute(_ sql: String) throws(RecordsFailure)
    /// One statement with parameters; the rows it returns, each as its columns.
    @discardableResult
    func query(_ sql: String, _ values: [SQLValue]) throws(RecordsFailure) -> [[SQLValue]]
    /// Rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int { get }
    /// Statements run in order; each one's count of rows changed. PostgreSQL sends them
    /// all before reading any result (pipeline mode): one round trip, not one each.
    func pipelined(_ statements: [(sql: String, values: [SQLValue])]) throws(RecordsFailure) -> [Int]
}

extension SQLConnection {
    public func pipelined(_ statements: [(sql: String, values: [SQLValue])]) throws(RecordsFailure) -> [Int] {
        var counts: [Int] = []
        for statement in statements {
            try query(statement.sql, statement.values)
            counts.append(changes)
        }
        return counts
    }
}

public enum SQLDialect: Sendable {
    case sqlite, postgres

    var begin: String { self == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN" }
}

public struct RecordsFailure: Error, CustomStringConvertible {
    public let description: String
    /// PostgreSQL's SQLSTATE for the statement that failed, if it said one.
    public let sqlState: String?

    public init(_ description: String, sqlState: String? = nil) {
        self.description = description
        self.sqlState = sqlState
    }

    /// Two transactions waited for each other (`40P01`, deadlock detected) or could not
    /// both be serialized (`40001`): PostgreSQL rolled this one back, and the same writes
    /// done again may go through (PostgreSQL's docs, "Transaction Isolation": applications
    /// retry them).
    public var isContention: Bool { sqlState == "40P01" || sqlState == "40001" }
}

public enum SQLValue: Equatable, Sendable {
    case integer(Int64)
    case text(String)
    case null

    public init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    public init(_ number: Int64?) { self = number.map { .integer($0) } ?? .null }

    public var integer: Int64? {
        switch self {
        case .integer(let n): return n
        case .text(let s): return Int64(s)
        case .null: return nil
        }
    }

    public var text: String? {
        switch self {
        case .text(let s): return s
        case .integer(let n): return String(n)
        case .null: return nil
        }
    }
}
