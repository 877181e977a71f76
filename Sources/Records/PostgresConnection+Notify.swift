import CLibPQ

/// LISTEN/NOTIFY (PostgreSQL's "Asynchronous Notification"): a notification sent inside a
/// transaction is delivered after its COMMIT, to every connection listening on its
/// channel, in commit order.
extension PostgresConnection {
    /// The connection's socket, to wait on for notifications (poll for input).
    public var socket: Int32 { PQsocket(connection) }

    /// Reads what the server has sent and returns the notifications among it, oldest first,
    /// as (channel, payload). Throws if the connection is lost.
    public func notifications() throws(RecordsFailure) -> [(channel: String, payload: String)] {
        guard PQconsumeInput(connection) == 1 else { throw RecordsFailure("\(name): \(Self.message(connection))") }
        var found: [(channel: String, payload: String)] = []
        while let notice = PQnotifies(connection) {
            found.append((String(cString: notice.pointee.relname), String(cString: notice.pointee.extra)))
            PQfreemem(notice)
        }
        return found
    }
}
