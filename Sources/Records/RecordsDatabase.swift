/// Where the records go (`--database`): `DATA/livehub.db`, or a PostgreSQL server.
public enum RecordsDatabase: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    /// `sqlite` or a `postgres://` / `postgresql://` URL; nil otherwise.
    public init?(_ text: String, dataDirectory: String) {
        if text == "sqlite" {
            self = .sqlite(path: dataDirectory + "/livehub.db")
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            return nil
        }
    }

    /// Opens (creating and migrating) the database, so a bad path or an unreachable server
    /// fails the start with its reason.
    public func open() throws(RecordsFailure) -> RecordsStore {
        switch self {
        case .sqlite(let path):
            return try RecordsStore(path: path)
        case .postgres(let url):
            return try RecordsStore(connection: try PostgresConnection(url: url))
        }
    }
}
