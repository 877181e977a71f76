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

/// The NOTIFY channels the money engine announces on, inside its transactions (after
/// COMMIT, in commit order), for the other nodes of a cluster. The cluster owns the names
/// and reads them (`ClusterChannel` in Cluster, which a test holds equal to these); they
/// are spelled here too only while the engine that sends them lives in Records.
public enum NotifyChannel {
    /// `SEQ:USER`: a user's balance reached `SEQ` (sent inside the ledger write's transaction).
    public static let balance = "livehub_balance"
    /// A node's id: the open gaps and unmatched payments changed.
    public static let problems = "livehub_problems"
    /// `NODE:ID`: that node raised alert ID for the sellers.
    public static let alert = "livehub_alert"
    /// A node's id: it recorded payment errors (rows of `payment_errors`).
    public static let paymentErrors = "livehub_payment_errors"
    /// `NODE<TAB>KIND<TAB>VALUE`: that node erased the person; every node removes what it
    /// holds of them in memory and in its snapshot.
    public static let erasure = "livehub_erasure"
}
