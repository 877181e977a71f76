import Glibc
import Testing
@testable import Hub

@Suite("Snapshots")
struct SnapshotTests {
    func populatedHub() throws -> (PresenceHub, ManualClock) {
        let clock = ManualClock()
        let hub = PresenceHub(clock: clock)
        try hub.startSession(id: "a", userId: "u", email: "a@x.io", client: ClientInfo(ip: "1.1.1.1", userAgent: "UA"))
        try hub.pageVisit(sessionId: "a", pageType: "category", identifier: "shoes", url: "https://shop/c/shoes")
        try hub.checkoutStart(sessionId: "b", items: "[{\"sku\":1}]", totalAmount: "12.50", paymentMethod: "card")
        try hub.paymentError(sessionId: "b", code: "declined", message: "no", details: "{\"d\":true}", email: nil, phone: "+1")
        try hub.pageVisit(sessionId: "c", pageType: "homepage")
        hub.endSession("c")
        return (hub, clock)
    }

    @Test func roundTripKeepsCountsSessionsAndErrors() throws {
        let (hub, clock) = try populatedHub()
        let bytes = hub.snapshot().encoded()
        let restored = PresenceHub(clock: clock)
        restored.restore(try HubSnapshot.decode(bytes))
        #expect(restored.counters == hub.counters)
        #expect(restored.sessionCount == 3)
        #expect(restored.session("a")?.client == ClientInfo(ip: "1.1.1.1", userAgent: "UA"))
        #expect(restored.session("a")?.page?.url == "https://shop/c/shoes")
        #expect(restored.session("c")?.isActive == false)
        #expect(restored.recentPaymentErrors() == hub.recentPaymentErrors())
        // Ids keep counting where they stopped.
        let next = try restored.paymentError(sessionId: "b", code: "x", message: "y", details: nil, email: nil, phone: nil)
        #expect(next.id == 2)
    }

    @Test func sessionsThatIdledOutWhileDownAreEndedOnRestore() throws {
        let (hub, clock) = try populatedHub()
        let snapshot = hub.snapshot()
        clock.advance(milliseconds: 30 * 60_000 + 1)
        let restored = PresenceHub(clock: clock)
        #expect(restored.restore(snapshot) == 2)
        #expect(restored.counters == PresenceCounters())
    }

    @Test(arguments: [1, 10, 20, 100])
    func truncatedFilesAreRefused(cut: Int) throws {
        let (hub, _) = try populatedHub()
        let bytes = hub.snapshot().encoded()
        #expect(throws: HubSnapshot.ReadError.self) { try HubSnapshot.decode(Array(bytes.dropLast(cut))) }
    }

    @Test func aFlippedByteFailsTheChecksum() throws {
        let (hub, _) = try populatedHub()
        var bytes = hub.snapshot().encoded()
        bytes[bytes.count / 2] ^= 0x01
        #expect(throws: HubSnapshot.ReadError.checksumMismatch) { try HubSnapshot.decode(bytes) }
    }

    @Test func otherFilesAndVersionsAreNamed() throws {
        #expect(throws: HubSnapshot.ReadError.notASnapshot) { try HubSnapshot.decode(Array("hello world, not a snapshot".utf8)) }
        let (hub, _) = try populatedHub()
        var bytes = hub.snapshot().encoded()
        bytes[6] = 9
        #expect(throws: HubSnapshot.ReadError.unsupportedVersion(9)) { try HubSnapshot.decode(bytes) }
    }

    @Test func theStoreKeepsThePreviousAndFallsBackToIt() throws {
        var template = Array("/tmp/livehub-snap-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        defer { _ = system("rm -rf '\(dir)'") }
        let store = SnapshotStore(directory: dir)
        let (hub, _) = try populatedHub()
        try store.save(hub.snapshot())
        try hub.pageVisit(sessionId: "d", pageType: "homepage")
        try store.save(hub.snapshot())
        guard case .loaded(let newest, _) = store.load() else { Issue.record("expected a load"); return }
        #expect(newest.sessions.count == 4)
        // Damage the newest: the previous one is loaded, the bad one moved aside.
        let file = fopen(store.path, "r+b")!
        fseek(file, -5, SEEK_END)
        fputc(0x7F, file)
        fclose(file)
        guard case .recovered(let previous, .checksumMismatch, let aside) = store.load() else { Issue.record("expected recovery"); return }
        #expect(previous.sessions.count == 3)
        #expect(access(aside, F_OK) == 0)
        // Both bad: unusable, not an empty hub.
        _ = truncate(store.previousPath, 10)
        _ = rename(aside, store.path)
        guard case .unusable = store.load() else { Issue.record("expected unusable"); return }
    }

    /// A snapshot file of `version`: no sessions, no payment errors, the money slot and,
    /// with `history`, an empty history.
    static func file(version: UInt16, money: (lsn: UInt64, count: UInt32, records: [UInt8]), history: Bool) -> [UInt8] {
        var payload = ByteWriter()
        payload.i64(1); payload.i64(1); payload.u32(0); payload.u32(0)
        payload.u64(money.lsn); payload.u32(money.count)
        var bytes = payload.bytes + money.records
        if history { bytes += [0, 0, 0, 0] }
        var file = ByteWriter()
        for b in Array("LHSNAP".utf8) { file.u8(b) }
        file.u8(UInt8(version & 0xFF)); file.u8(UInt8(version >> 8))
        file.u64(UInt64(bytes.count)); file.u32(CRC32.checksum(bytes[...]))
        return file.bytes + bytes
    }

    /// The hub no longer reads money: a version 2's money section is kept as it was, for
    /// `LegacyImport`, and never written again; version 3 has none to keep.
    @Test func aVersion2SnapshotsMoneyIsKeptUnreadAndNeverWrittenAgain() throws {
        let old = try HubSnapshot.decode(Self.file(version: 2, money: (42, 2, [7, 7, 7]), history: false))
        #expect(old.legacyMoney == HubSnapshot.LegacyMoney(journalLSN: 42, recordCount: 2, encodedRecords: [7, 7, 7]))
        #expect(try HubSnapshot.decode(old.encoded()).legacyMoney == nil)
        #expect(try HubSnapshot.decode(Self.file(version: 3, money: (0, 0, []), history: true)).legacyMoney == nil)
        #expect(throws: HubSnapshot.ReadError.corruptPayload) {
            try HubSnapshot.decode(Self.file(version: 3, money: (42, 2, [7, 7, 7]), history: true))
        }
    }
}

@Suite("Snapshots taken in slices")
struct SlicedSnapshotTests {
    @Test func sessionsThatChangeWhileCapturedComeBackOnceInTheirNewestState() throws {
        let clock = ManualClock()
        let hub = PresenceHub(clock: clock)
        for i in 0..<100 { try hub.pageVisit(sessionId: "s\(i)", pageType: "homepage") }
        var capture = hub.beginSnapshot()
        #expect(!hub.continueSnapshot(&capture, sessions: 30))
        // Meanwhile: a copied session moves on, one ends and is forgotten, new ones arrive.
        clock.advance(seconds: 1)
        try hub.pageVisit(sessionId: "s0", pageType: "checkout")
        hub.endSession("s50")  // not copied yet: the snapshot has it ended
        for i in 100..<110 { try hub.pageVisit(sessionId: "s\(i)", pageType: "offer", identifier: "o") }
        while !hub.continueSnapshot(&capture, sessions: 30) {}
        let restored = PresenceHub(clock: clock)
        restored.restore(capture.snapshot)
        #expect(restored.sessionCount == 110)
        #expect(restored.counters.totalActive == 109)
        // s0 was copied before it moved: its older state is what this snapshot has.
        #expect(restored.session("s0")?.page?.pageType == "homepage")
        #expect(restored.counters.pages.values.reduce(0, +) == 109)
    }

    @Test func aSessionCapturedTwiceIsRestoredOnceNewestWins() throws {
        let clock = ManualClock()
        let hub = PresenceHub(clock: clock)
        try hub.pageVisit(sessionId: "a", pageType: "homepage")
        var snapshot = hub.snapshot()
        clock.advance(seconds: 5)
        try hub.pageVisit(sessionId: "a", pageType: "payment")
        snapshot.sessions += hub.snapshot().sessions
        let restored = PresenceHub(clock: clock)
        restored.restore(snapshot)
        #expect(restored.sessionCount == 1)
        #expect(restored.counters.totalActive == 1)
        #expect(restored.counters.pages == ["payment": 1])
    }
}
