import Hub

extension RecordsStore {
    /// The most of payloads and headers one answer of the webhook log carries: past it the
    /// answer ends (at least one entry) and the caller asks again with `before`.
    public static let webhookLogAnswerBytes = 1 << 20

    /// Newest first, older than id `before` if given: at most `limit` entries and, beyond
    /// the first, `webhookLogAnswerBytes` of payloads and headers. Read 50 at a time, so a
    /// log of large payloads is never read whole.
    public func webhookLog(provider: String?, reference: String?, limit: Int, before: Int64? = nil) throws(Failure) -> [WebhookLogEntry] {
        var entries: [WebhookLogEntry] = []
        var bytes = 0
        var cursor = before ?? .max
        while entries.count < limit {
            var conditions = ["id < $1"]
            var values: [Value] = [.integer(cursor)]
            if let provider { values.append(.text(provider)); conditions.append("provider = $\(values.count)") }
            if let reference { values.append(.text(reference)); conditions.append("reference = $\(values.count)") }
            values.append(.integer(Int64(min(50, limit - entries.count))))
            let rows = try db.query("""
                SELECT id, provider, received_at, signature_valid, processing_status, error_message, reference, payload, headers,
                    delivery_key, payload_truncated FROM webhook_deliveries WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT $\(values.count)
                """, values)
            for row in rows {
                guard let id = row[0].integer else { continue }
                cursor = id
                guard let provider = row[1].text, let received = row[2].text.flatMap(Timestamp.parse),
                      let status = row[4].text.flatMap(WebhookLogEntry.Status.init(rawValue:)) else { continue }
                var entry = WebhookLogEntry(id: id, provider: provider, receivedAt: received, signatureValid: row[3].integer == 1, status: status,
                                            errorMessage: row[5].text, reference: row[6].text, payload: row[7].text ?? "",
                                            headers: (row[8].text ?? "").split(separator: "\n").map(String.init), deliveryKey: row[9].text)
                entry.payloadTruncated = row[10].integer == 1
                bytes += entry.payload.utf8.count + entry.headers.reduce(0) { $0 + $1.utf8.count }
                entries.append(entry)
                if bytes >= Self.webhookLogAnswerBytes { return entries }
            }
            if rows.count < 50 { break }
        }
        return entries
    }
}
