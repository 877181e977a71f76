import Hub

/// `livehub snapshot inspect`: a snapshot in words.
public enum SnapshotReport {
    public static func describe(_ snapshot: HubSnapshot, file: String) -> String {
        let active = snapshot.sessions.filter(\.isActive)
        var pages: [String: Int] = [:]
        for session in active { if let page = session.page { pages[page.pageType.rawValue, default: 0] += 1 } }
        var lines = [
            "\(file): LiveHub snapshot version \(HubSnapshot.version), checksum OK",
            "saved at: \(Timestamp.iso8601(milliseconds: snapshot.savedAt))",
            "sessions: \(snapshot.sessions.count) (\(active.count) active, \(snapshot.sessions.count - active.count) ended)",
        ]
        for (page, count) in pages.sorted(by: { $0.key < $1.key }) { lines.append("  on \(page): \(count)") }
        lines.append("payment errors: \(snapshot.paymentErrors.count)")
        if let last = snapshot.paymentErrors.last {
            lines.append("  newest: \(last.errorCode) at \(Timestamp.iso8601(milliseconds: last.occurredAt)) (session \(last.sessionId))")
        }
        if snapshot.money.isEmpty {
            lines.append("money: none here (it is in the records database)")
        } else {
            // Written before the database held the money: the next start takes it in.
            let money = JournalReplay()
            for record in snapshot.money { money.apply(record) }
            lines.append("money (from before the records database): \(money.transactions.count) transactions for \(money.userCount) users, \(money.payments.count) payments (\(money.openGaps.count) open gaps), journal position \(snapshot.journalLSN)")
        }
        return lines.joined(separator: "\n")
    }
}
