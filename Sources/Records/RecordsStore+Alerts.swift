import Hub

/// Alerts as rows: the outbox of `--alert-webhook`, each delivery leased to the node that
/// delivers it.
extension RecordsStore {
    /// Pending alerts this node now delivers: those nobody leases, those whose lease ran
    /// out (their node died mid-delivery), and with `own` the ones leased to this node
    /// (a restart: the process that held them is gone). Each is leased to `node` until
    /// `until`; on PostgreSQL, rows another node is claiming right now are skipped
    /// (`FOR UPDATE SKIP LOCKED`), so no alert is taken twice. Oldest first.
    public func claimPendingAlerts(node: String, until: Int64, now: Int64, own: Bool) throws(Failure) -> [AlertRow] {
        let skipLocked = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try db.query("""
            UPDATE alerts SET delivery_node = $1, delivery_lease_until = $2 WHERE id IN (
                SELECT id FROM alerts WHERE delivery_status = 'pending'
                    AND (delivery_node IS NULL OR (delivery_node = $1 AND $3 = 1) OR delivery_lease_until < $4)
                    ORDER BY id LIMIT 1000\(skipLocked))
            RETURNING id, kind, title, message, user_id, reference, created_at, delivery_status, delivery_attempts, delivery_error
            """, [.text(node), Self.time(until), .integer(own ? 1 : 0), Self.time(now)]).compactMap(Self.alertRow).sorted { $0.alert.id < $1.alert.id }
    }

    /// The leases of the alerts `node` is still delivering, extended to `until` (the node is
    /// alive: nobody takes them over).
    public func renewAlertLeases(node: String, until: Int64) throws(Failure) {
        try db.query("UPDATE alerts SET delivery_lease_until = $1 WHERE delivery_status = 'pending' AND delivery_node = $2",
                     [Self.time(until), .text(node)])
    }

    /// Newest first, each with its delivery as the outbox has it.
    public func alerts(limit: Int) throws(Failure) -> [AlertRow] {
        try db.query("""
            SELECT id, kind, title, message, user_id, reference, created_at, delivery_status, delivery_attempts, delivery_error
                FROM alerts ORDER BY id DESC LIMIT $1
            """, [.integer(Int64(limit))]).compactMap(Self.alertRow)
    }

    public func alert(id: Int64) throws(Failure) -> AlertRow? {
        try db.query("""
            SELECT id, kind, title, message, user_id, reference, created_at, delivery_status, delivery_attempts, delivery_error
                FROM alerts WHERE id = $1
            """, [.integer(id)]).compactMap(Self.alertRow).first
    }

    /// Alerts whose delivery has not ended (a restart resumes them), oldest first.
    public func pendingAlerts() throws(Failure) -> [AlertRow] {
        try db.query("""
            SELECT id, kind, title, message, user_id, reference, created_at, delivery_status, delivery_attempts, delivery_error
                FROM alerts WHERE delivery_status = 'pending' ORDER BY id LIMIT 10000
            """, []).compactMap(Self.alertRow)
    }

    static func alertRow(_ row: [Value]) -> AlertRow? {
        guard let id = row[0].integer, let kind = row[1].text.flatMap(Alert.Kind.init(rawValue:)),
              let created = row[6].text.flatMap(Timestamp.parse) else { return nil }
        let alert = Alert(id: id, kind: kind, title: row[2].text ?? "", message: row[3].text ?? "", userId: row[4].text,
                          reference: row[5].text, createdAt: created)
        let delivery = row[7].text.flatMap(AlertDelivery.Status.init(rawValue:)).map {
            AlertDelivery(status: $0, attempts: Int(row[8].integer ?? 0), lastError: row[9].text)
        }
        return AlertRow(alert: alert, delivery: delivery)
    }

    public func setDelivery(_ delivery: AlertDelivery, ofAlert id: Int64) throws(Failure) {
        try db.query("UPDATE alerts SET delivery_status = $1, delivery_attempts = $2, delivery_error = $3 WHERE id = $4",
                     [.text(delivery.status.rawValue), .integer(Int64(delivery.attempts)), Value(delivery.lastError), .integer(id)])
    }
}

/// What became of an alert's delivery to `--alert-webhook`, as the outbox keeps it.
public struct AlertDelivery: Sendable, Equatable {
    public enum Status: String, Sendable {
        case pending, sent, failed
        case notConfigured = "not_configured"
    }

    public var status: Status
    public var attempts: Int
    public var lastError: String?

    public init(status: Status, attempts: Int = 0, lastError: String? = nil) {
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
    }
}

/// An alert with what became of its delivery, as the outbox keeps it.
public struct AlertRow: Sendable {
    public var alert: Alert
    public var delivery: AlertDelivery?
}
