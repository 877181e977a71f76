import Glibc
import Testing
@testable import Hub
@testable import Records

/// The inbox read from the ledger (a ledger entry's notification is its row), the
/// notifications that are no ledger entry's, marks one by one, and the user's cursor.
@Suite("A user's inbox on SQLite")
struct InboxTests {
    let templates = NotificationTemplates()

    private func store() throws -> RecordsStore {
        var template = Array("/tmp/livehub-inbox-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        return try RecordsStore(path: dir + "/livehub.db")
    }

    /// Ann's three credits (ids 1, 2, 3), a notice that is no ledger entry's (id 4), and
    /// Bob's credit (id 5).
    private func filled() throws -> RecordsStore {
        let s = try store()
        let ledger = (1...3).map { i in
            LedgerTransaction(id: Int64(i), userId: "ann", amount: Money(minorUnits: 100), kind: .credit, description: "top-up",
                              service: nil, reference: "r\(i)", createdAt: 1_000 * Int64(i), balanceAfter: Money(minorUnits: 100 * Int64(i)),
                              userSeq: Int64(i))
        } + [LedgerTransaction(id: 5, userId: "bob", amount: Money(minorUnits: 300), kind: .debit, description: "sms", service: nil,
                               reference: "r5", createdAt: 5_000, balanceAfter: Money(minorUnits: 0), userSeq: 1)]
        #expect(try s.insertAllNew(ledger))
        try s.insert(notifications: [UserNotification(id: 4, userId: "ann", kind: "shop_news", title: "Hello", message: "New prices",
                                                      createdAt: 4_000)])
        return s
    }

    private func ids(_ s: RecordsStore, _ status: UserNotification.Status?, user: String = "ann", before: Int64? = nil, limit: Int = 50) throws -> [Int64] {
        try s.notifications(of: user, status: status, limit: limit, before: before, templates: templates).map(\.id)
    }

    @Test func ledgerEntriesAreNotificationsWithTheirTemplatesWords() throws {
        let s = try filled()
        let inbox = try s.notifications(of: "ann", status: nil, limit: 50, before: nil, templates: templates)
        #expect(inbox.map(\.id) == [4, 3, 2, 1])
        #expect(inbox[1].kind == NotificationKind.creditAdded && inbox[1].title == "Credits added")
        #expect(inbox[1].message == "1.00 credits were added to your balance. Balance: 3.00.")
        #expect(inbox[0].title == "Hello" && inbox[0].transactionId == nil)
        #expect(try s.unseenNotifications(of: "ann") == 4)
        #expect(try s.unseenNotifications(of: "bob") == 1)
        #expect(try ids(s, nil, before: 3, limit: 1) == [2])
        #expect(try ids(s, nil, user: "bob") == [5])
    }

    @Test func markingOneByOneAndUpToCountsEachOnce() throws {
        let s = try filled()
        #expect(try s.mark(user: "ann", ids: [2], upTo: nil, archive: false, at: 9_000) == 1)
        #expect(try s.mark(user: "ann", ids: [2], upTo: nil, archive: false, at: 9_000) == 0)
        // Another user's id is not Ann's to mark.
        #expect(try s.mark(user: "ann", ids: [5], upTo: nil, archive: false, at: 9_000) == 0)
        #expect(try s.unseenNotifications(of: "ann") == 3)
        #expect(try s.unseenNotifications(of: "bob") == 1)
        // Up to 3: 1 and 3 change (2 was read).
        #expect(try s.mark(user: "ann", ids: [], upTo: 3, archive: false, at: 10_000) == 2)
        #expect(try s.unseenNotifications(of: "ann") == 1)
        #expect(try ids(s, .unseen) == [4])
        #expect(try ids(s, .read) == [3, 2, 1])
        let read = try s.notifications(of: "ann", status: .read, limit: 50, before: nil, templates: templates)
        #expect(read.map(\.readAt) == [10_000, 9_000, 10_000])
        #expect(try s.mark(user: "ann", ids: [4], upTo: nil, archive: false, at: 11_000) == 1)
        #expect(try s.unseenNotifications(of: "ann") == 0)
    }

    @Test func archivingLeavesTheListAndTheCount() throws {
        let s = try filled()
        #expect(try s.mark(user: "ann", ids: [4, 3], upTo: nil, archive: true, at: 9_000) == 2)
        #expect(try s.unseenNotifications(of: "ann") == 2)
        #expect(try ids(s, nil) == [2, 1])
        #expect(try ids(s, .archived) == [4, 3])
        #expect(try s.mark(user: "ann", ids: [], upTo: 2, archive: true, at: 10_000) == 2)
        #expect(try ids(s, nil) == [])
        #expect(try ids(s, .archived) == [4, 3, 2, 1])
        #expect(try s.unseenNotifications(of: "ann") == 0)
        // A new entry after the cursor is unseen and listed.
        #expect(try s.insertAllNew([LedgerTransaction(id: 6, userId: "ann", amount: Money(minorUnits: 50), kind: .refund, description: "",
                                                      service: nil, reference: "r6", createdAt: 6_000, balanceAfter: Money(minorUnits: 350), userSeq: 4)]))
        #expect(try ids(s, nil) == [6])
        #expect(try s.unseenNotifications(of: "ann") == 1)
    }

    @Test func upToBeyondTheNewestDoesNotMarkWhatComesLater() throws {
        let s = try filled()
        #expect(try s.mark(user: "ann", ids: [], upTo: .max, archive: false, at: 9_000) == 4)
        #expect(try s.notificationCursor(of: "ann").readThrough == 4)
        #expect(try s.insertAllNew([LedgerTransaction(id: 6, userId: "ann", amount: Money(minorUnits: 50), kind: .credit, description: "",
                                                      service: nil, reference: "r6", createdAt: 6_000, balanceAfter: Money(minorUnits: 350), userSeq: 4)]))
        #expect(try s.unseenNotifications(of: "ann") == 1)
        #expect(try ids(s, .unseen) == [6])
    }

    @Test func aLedgerEntrysRowSaysItWasNotPushedAndItsEmail() throws {
        let s = try filled()
        var row = UserNotification(id: 2, userId: "ann", kind: NotificationKind.creditAdded, title: "", message: "", transactionId: 2,
                                   userSeq: 2, createdAt: 2_000)
        row.pushed = false
        row.emailStatus = "pending"
        try s.insert(notifications: [row])
        let two = try #require(try s.notifications(of: "ann", status: nil, limit: 1, before: 3, templates: templates).first)
        #expect(two.id == 2 && !two.pushed && two.emailStatus == "pending" && two.title == "Credits added")
        #expect(try s.unseenNotifications(of: "ann") == 4)
        // Its email is taken with the transaction's words, and an address.
        try s.setNotificationAddress(of: "ann", "ann@example.com", at: 1)
        let due = try s.takeEmailsDue(now: 3_000, limit: 10, leaseUntil: 60_000, wholeUser: false, templates: templates)
        #expect(due.map(\.notification.message) == ["1.00 credits were added to your balance. Balance: 2.00."])
        #expect(due.first?.address == "ann@example.com")
    }
}
