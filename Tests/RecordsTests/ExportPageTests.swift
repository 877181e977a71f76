import Glibc
import Testing
@testable import Hub
@testable import Records

/// Keyset pages (`RecordsStore.exportPage`): every row of the window once, in key order,
/// whatever the page size, with many rows at one time (the key's second column breaks ties).
@Suite("Export pages")
struct ExportPageTests {
    private func store() throws -> RecordsStore {
        var template = Array("/tmp/livehub-export-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        return try RecordsStore(path: dir + "/livehub.db")
    }

    /// Pages of `limit` until the last; their rows, and how many statements it took.
    private func all(_ store: RecordsStore, _ table: ExportTable, from: Int64, to: Int64, limit: Int) throws -> (rows: [[SQLValue]], pages: Int) {
        var rows: [[SQLValue]] = []
        var after: [SQLValue]?
        var pages = 0
        repeat {
            let page = try store.exportPage(table, from: from, to: to, after: after, limit: limit)
            pages += 1
            rows += page.rows
            after = page.next
            #expect(pages < 10_000)
        } while after != nil
        return (rows, pages)
    }

    @Test(arguments: [1, 2, 3, 7, 50, 1000])
    func everyActivityRowInTheWindowOnceInOrder(limit: Int) throws {
        let store = try store()
        // 5 rows at each of 10 times, ids not in time order; the window leaves out the first
        // and last times.
        var id: Int64 = 100
        for t in 0..<10 {
            for _ in 0..<5 {
                id -= 1
                try store.insert(ActivityEvent(id: id, userId: "u\(id)", email: nil, action: "a", status: "success", details: nil,
                                               errorMessage: nil, createdAt: 1_000 * Int64(t)))
            }
        }
        let (rows, pages) = try all(store, .activity, from: 1_000, to: 9_000, limit: limit)
        #expect(rows.count == 40)
        let keys = rows.map { ($0[0].text!, $0[1].integer!) }
        #expect(Set(keys.map(\.1)).count == 40)
        #expect(zip(keys, keys.dropFirst()).allSatisfy { a, b in a.0 < b.0 || (a.0 == b.0 && a.1 < b.1) })
        #expect(keys.first?.0 == "1970-01-01T00:00:01.000Z" && keys.last?.0 == "1970-01-01T00:00:08.000Z")
        // A full last page needs one more statement to find there is no more.
        #expect(pages == 40 / limit + 1)
    }

    @Test func ledgerPagesGoByTimeThenId() throws {
        let store = try store()
        for i in 1...9 as ClosedRange<Int64> {
            try store.insert(LedgerTransaction(id: i, userId: "u\(i % 2)", amount: Money(minorUnits: 100 * i), kind: .credit, description: "d",
                                               service: nil, reference: "r\(i)", createdAt: 5_000 - (i % 3) * 1_000,
                                               balanceAfter: Money(minorUnits: 100 * i), userSeq: i))
        }
        let (rows, _) = try all(store, .ledger, from: 0, to: 10_000, limit: 2)
        #expect(rows.map { $0[1].integer! } == [2, 5, 8, 1, 4, 7, 3, 6, 9])
        #expect(rows.first?.count == ExportTable.ledger.columns.count)
    }

    @Test func rollupsOfOneGrainByBucketMetricAndKey() throws {
        let store = try store()
        try store.addRollups(minute: 0, [.init(metric: "visits", key: "home", value: 2), .init(metric: "visits", key: "cart", value: 1),
                                         .init(metric: "errors", key: "card", value: 3)])
        try store.addRollups(minute: 1, [.init(metric: "visits", key: "home", value: 5)])
        let minutes = try all(store, .rollups(.minute), from: 0, to: 120_000, limit: 1).rows
        #expect(minutes.map { "\($0[0].text!) \($0[1].text!) \($0[2].text!) \($0[3].integer!)" } == [
            "1970-01-01T00:00:00.000Z errors card 3", "1970-01-01T00:00:00.000Z visits cart 1", "1970-01-01T00:00:00.000Z visits home 2",
            "1970-01-01T00:01:00.000Z visits home 5",
        ])
        let days = try all(store, .rollups(.day), from: 0, to: 86_400_000, limit: 2).rows
        #expect(days.map { $0[3].integer! } == [3, 1, 7])
    }

    /// The page's statement reads the time index from the last key on (not from `from`,
    /// and not every row before it, as OFFSET would).
    @Test func thePageStatementSeeksFromTheLastKey() {
        let (sql, values) = RecordsStore.exportStatement(.ledger, from: 0, to: 1_000, after: [.text("T"), .integer(7)], limit: 1000)
        #expect(sql == "SELECT created_at, id, user_id, type, amount_minor, balance_after_minor, description, service, reference, payment_reference, user_seq FROM transactions WHERE created_at >= $1 AND (created_at > $1 OR (created_at = $1 AND id > $2)) AND created_at < $3 ORDER BY created_at, id LIMIT 1000")
        #expect(values == [.text("T"), .integer(7), .text("1970-01-01T00:00:01.000Z")])
        let (rollups, _) = RecordsStore.exportStatement(.rollups(.hour), from: 0, to: 1, after: [.text("B"), .text("m"), .text("k")], limit: 5)
        #expect(rollups.contains("WHERE grain = $1 AND bucket >= $2 AND (bucket > $2 OR (bucket = $2 AND metric > $3) OR (bucket = $2 AND metric = $3 AND key > $4)) AND bucket < $5 ORDER BY bucket, metric, key LIMIT 5"))
    }
}
