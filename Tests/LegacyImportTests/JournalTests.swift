import Glibc
import Testing
@testable import Hub
@testable import LegacyImport

/// The journal era's files as the import reads them: `DATA/journal`, and a version-2
/// snapshot's money section.
@Suite("Reading the journal era's files")
struct JournalTests {
    /// One journal record as the journal-era hub appended it.
    static func frame(_ record: JournalRecord, lsn: UInt64) -> [UInt8] {
        var body = ByteWriter()
        body.u64(lsn)
        record.encode(into: &body)
        var frame = ByteWriter()
        frame.u32(UInt32(body.bytes.count))
        frame.u32(CRC32.checksum(body.bytes[...]))
        return frame.bytes + body.bytes
    }

    static let records: [JournalRecord] = [
        .transaction(LedgerTransaction(id: 1, userId: "u", amount: Money(minorUnits: 5), kind: .credit, description: "d",
                                       service: "sms", reference: "r", createdAt: 7, balanceAfter: Money(minorUnits: 5), userSeq: 1)),
        .paymentEvent(PaymentEvent(reference: "p", provider: "stripe", stage: .completed, amount: nil, email: "e", receivedAt: 9)),
        .gapOpened(reference: "p", at: 10),
        .paymentResolved(reference: "p", note: nil, by: "api-key", at: 11),
        .paymentUnmatched(reference: "y", at: 12),
    ]

    @Test func theJournalReadsEveryRecordAndCutsATornTail() throws {
        let path = "/tmp/livehub-journal-test-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        defer { unlink(path) }
        var bytes: [UInt8] = []
        for (i, record) in Self.records.enumerated() { bytes += Self.frame(record, lsn: UInt64(i + 1)) }
        // The hub was killed mid-append: half a record, never acknowledged.
        let torn = bytes + [9, 0, 0, 0, 1, 2]
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(write(fd, torn, torn.count) == torn.count)
        close(fd)
        var contents = try Journal.read(path: path)
        #expect(contents.records.map(\.record) == Self.records)
        #expect(contents.records.map(\.lsn) == [1, 2, 3, 4, 5])
        #expect(contents.damagedBytes == 6 && contents.damage != nil)
        // Cut off the file: what stays (journal.imported) is exactly what was taken in.
        #expect(try FileBytes.read(path) == bytes)
        contents = try Journal.read(path: path)
        #expect(contents.records.count == 5 && contents.damage == nil)
        // A flipped byte ends the readable journal there.
        var flipped = bytes
        flipped[flipped.count - 3] ^= 1
        #expect(Journal.decode(flipped).records.count == 4 && Journal.decode(flipped).damage?.hasPrefix("checksum mismatch") == true)
    }

    /// A version-2 snapshot file whose money section holds `records` (no sessions, no
    /// payment errors), as the journal-era hub wrote it.
    static func version2Snapshot(_ records: [JournalRecord], lsn: UInt64, trailing: [UInt8] = []) -> [UInt8] {
        var payload = ByteWriter()
        payload.i64(1); payload.i64(1); payload.u32(0); payload.u32(0)
        payload.u64(lsn); payload.u32(UInt32(records.count))
        for record in records { record.encode(into: &payload) }
        let bytes = payload.bytes + trailing
        var file = ByteWriter()
        for b in Array("LHSNAP".utf8) { file.u8(b) }
        file.u8(2); file.u8(0)
        file.u64(UInt64(bytes.count)); file.u32(CRC32.checksum(bytes[...]))
        return file.bytes + bytes
    }

    @Test func aVersion2SnapshotsMoneyReadsAsItsRecordsAndNothingElse() throws {
        let snapshot = try HubSnapshot.decode(Self.version2Snapshot(Self.records, lsn: 42))
        let money = try #require(snapshot.legacyMoney)
        #expect(money.journalLSN == 42 && money.recordCount == 5)
        #expect(try JournalRecord.decodeAll(money) == Self.records)
        #expect(JournalEraImport.describe(money).hasPrefix("money (from before the records database): 1 transactions for 1 users, 1 payments ("))
        let extra = try #require(try HubSnapshot.decode(Self.version2Snapshot(Self.records, lsn: 42, trailing: [0])).legacyMoney)
        #expect(throws: SnapshotMoneyUnreadable.self) { try JournalRecord.decodeAll(extra) }
        var short = money
        short.recordCount += 1
        #expect(throws: SnapshotMoneyUnreadable.self) { try JournalRecord.decodeAll(short) }
    }
}
