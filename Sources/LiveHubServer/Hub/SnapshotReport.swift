import Hub
import LegacyImport

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
        if let money = snapshot.legacyMoney, money.recordCount > 0 {
            // Written before the database held the money: the next start takes it in.
            lines.append(JournalEraImport.describe(money))
        } else {
            lines.append("money: none here (it is in the records database)")
        }
        return lines.joined(separator: "\n")
    }
}
