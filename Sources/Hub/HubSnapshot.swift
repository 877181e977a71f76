import Glibc

/// The hub's whole state at one moment, and its file format:
///
///     "LHSNAP" | version u16 | payload length u64 | CRC-32 of payload u32 | payload
///
/// A file that is short, too long, of another version or whose checksum does not match
/// is refused with the reason, never loaded as if it were good.
public struct HubSnapshot: Sendable {
    /// 2 added the money section, 3 the minute-by-minute history, 4 each session's day
    /// (`SessionDay`); older files still load (1 and 2 with no history, a version 2's money
    /// as `legacyMoney`; before 4 with sessions not yet counted today).
    public static let version: UInt16 = 4
    static let magic = Array("LHSNAP".utf8)
    static let headerSize = 6 + 2 + 8 + 4

    public var savedAt: Int64
    public var sessions: [Session]
    /// Oldest first.
    public var paymentErrors: [PaymentErrorRecord]
    public var nextErrorID: Int64
    /// A version-2 snapshot's money, from before the records database held it; nil in the
    /// snapshots written since (`encoded()` writes the money slot empty).
    public var legacyMoney: LegacyMoney?
    /// The dashboard chart's minutes, oldest first.
    public var history: [MetricsHistory.Point]

    /// The money section of a version-2 snapshot, left encoded: the hub no longer reads
    /// money. `LegacyImport` decodes it, once, into the records database.
    public struct LegacyMoney: Sendable, Equatable {
        /// The journal position the records reach: the journal's records at or below it
        /// are in them.
        public var journalLSN: UInt64
        public var recordCount: Int
        /// The records one after the other, as the journal encodes them.
        public var encodedRecords: [UInt8]

        public init(journalLSN: UInt64, recordCount: Int, encodedRecords: [UInt8]) {
            self.journalLSN = journalLSN
            self.recordCount = recordCount
            self.encodedRecords = encodedRecords
        }
    }

    public enum ReadError: Error, Equatable, CustomStringConvertible {
        case missing
        case unreadable(String)
        case notASnapshot
        case unsupportedVersion(UInt16)
        case truncated(expected: Int, found: Int)
        case checksumMismatch
        case corruptPayload

        public var description: String {
            switch self {
            case .missing: return "no snapshot file"
            case .unreadable(let why): return "cannot read: \(why)"
            case .notASnapshot: return "not a LiveHub snapshot (bad magic bytes)"
            case .unsupportedVersion(let v): return "snapshot version \(v), this build reads version \(HubSnapshot.version)"
            case .truncated(let expected, let found): return "truncated: \(expected) bytes expected, \(found) found"
            case .checksumMismatch: return "checksum mismatch: the file was changed or damaged"
            case .corruptPayload: return "the content does not decode"
            }
        }
    }

    public init(savedAt: Int64, sessions: [Session], paymentErrors: [PaymentErrorRecord], nextErrorID: Int64,
                history: [MetricsHistory.Point] = []) {
        self.history = history
        self.savedAt = savedAt
        self.sessions = sessions
        self.paymentErrors = paymentErrors
        self.nextErrorID = nextErrorID
    }

    // MARK: encoding

    public func encoded() -> [UInt8] {
        var payload = ByteWriter()
        payload.i64(savedAt)
        payload.i64(nextErrorID)
        payload.u32(UInt32(sessions.count))
        for session in sessions { Self.write(session, into: &payload) }
        payload.u32(UInt32(paymentErrors.count))
        for record in paymentErrors { Self.write(record, into: &payload) }
        // The money slot (journal position, record count), empty since the records
        // database holds the money; kept so the format stays the one version 3 reads.
        payload.u64(0)
        payload.u32(0)
        payload.u32(UInt32(history.count))
        for point in history { Self.write(point, into: &payload) }
        Self.writeDays(sessions, into: &payload)

        var file = ByteWriter()
        for b in Self.magic { file.u8(b) }
        file.u8(UInt8(Self.version & 0xFF))
        file.u8(UInt8(Self.version >> 8))
        file.u64(UInt64(payload.bytes.count))
        file.u32(CRC32.checksum(payload.bytes[...]))
        return file.bytes + payload.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(ReadError) -> HubSnapshot {
        guard bytes.count >= headerSize else {
            throw bytes.starts(with: magic.prefix(min(bytes.count, 6))) && !bytes.isEmpty
                ? .truncated(expected: headerSize, found: bytes.count) : .notASnapshot
        }
        guard bytes.starts(with: magic) else { throw .notASnapshot }
        var reader = ByteReader(bytes, offset: 6)
        do {
            let version = UInt16(try reader.u8()) | UInt16(try reader.u8()) << 8
            guard (1...Self.version).contains(version) else { throw ReadError.unsupportedVersion(version) }
            let length = try reader.u64()
            let crc = try reader.u32()
            guard length <= UInt64(Int.max - headerSize), headerSize + Int(length) == bytes.count else {
                throw ReadError.truncated(expected: headerSize + Int(min(length, UInt64(Int.max / 2))), found: bytes.count)
            }
            guard CRC32.checksum(bytes[headerSize...]) == crc else { throw ReadError.checksumMismatch }
            let savedAt = try reader.i64()
            let nextErrorID = try reader.i64()
            let sessionCount = try reader.u32()
            var sessions: [Session] = []
            // A session takes at least 40 bytes of the file (its id's length, its times, its
            // counts): a count the rest of the file cannot hold reserves no more than it could.
            sessions.reserveCapacity(min(Int(sessionCount), reader.remaining / 40))
            for _ in 0..<sessionCount { sessions.append(try readSession(&reader)) }
            let errorCount = try reader.u32()
            var errors: [PaymentErrorRecord] = []
            for _ in 0..<errorCount { errors.append(try readError(&reader)) }
            var legacyMoney: LegacyMoney?
            if version >= 2 {
                let journalLSN = try reader.u64()
                let count = Int(try reader.u32())
                if version == 2 {
                    // The last section of version 2: its records run to the end.
                    legacyMoney = LegacyMoney(journalLSN: journalLSN, recordCount: count, encodedRecords: reader.rest())
                } else {
                    // Version 3 came after the records database became the money's only
                    // record: no release wrote records into it, and the hub cannot tell
                    // where they would end.
                    guard count == 0 else { throw ReadError.corruptPayload }
                    if journalLSN != 0 { legacyMoney = LegacyMoney(journalLSN: journalLSN, recordCount: 0, encodedRecords: []) }
                }
            }
            var history: [MetricsHistory.Point] = []
            if version >= 3 {
                let count = try reader.u32()
                guard count <= 100_000 else { throw ReadError.corruptPayload }
                for _ in 0..<count { history.append(try readPoint(&reader)) }
            }
            if version >= 4 { try readDays(&reader, into: &sessions) }
            guard reader.remaining == 0 else { throw ReadError.corruptPayload }
            var snapshot = HubSnapshot(savedAt: savedAt, sessions: sessions, paymentErrors: errors, nextErrorID: nextErrorID,
                                       history: history)
            snapshot.legacyMoney = legacyMoney
            return snapshot
        } catch let error as ReadError {
            throw error
        } catch {
            throw .corruptPayload
        }
    }

    static func write(_ point: MetricsHistory.Point, into w: inout ByteWriter) {
        w.i64(point.minute)
        for count in [point.totalActive, point.paymentErrors, point.paid, point.sessionsStarted] { w.u32(UInt32(clamping: count)) }
        w.u32(UInt32(point.pages.count))
        for (page, count) in point.pages.sorted(by: { $0.key < $1.key }) {
            w.string(page)
            w.u32(UInt32(clamping: count))
        }
    }

    static func readPoint(_ r: inout ByteReader) throws(ByteReader.Truncated) -> MetricsHistory.Point {
        let minute = try r.i64()
        let totalActive = Int(try r.u32()), paymentErrors = Int(try r.u32()), paid = Int(try r.u32()), started = Int(try r.u32())
        let pageCount = try r.u32()
        var pages: [String: Int] = [:]
        for _ in 0..<pageCount {
            let page = try r.requiredString()
            pages[page] = Int(try r.u32())
        }
        return MetricsHistory.Point(minute: minute, totalActive: totalActive, pages: pages, paymentErrors: paymentErrors, paid: paid,
                                    sessionsStarted: started)
    }

    static func write(_ visit: PageVisit, into w: inout ByteWriter) {
        w.string(visit.pageType.rawValue)
        w.string(visit.identifier)
        w.string(visit.url)
        w.i64(visit.enteredAt)
        w.optionalI64(visit.exitedAt)
    }

    static func readVisit(_ r: inout ByteReader) throws(ByteReader.Truncated) -> PageVisit {
        PageVisit(pageType: PageType(rawValue: try r.requiredString()), identifier: try r.string(), url: try r.string(),
                  enteredAt: try r.i64(), exitedAt: try r.optionalI64())
    }

    static func write(_ s: Session, into w: inout ByteWriter) {
        w.string(s.id); w.string(s.userId); w.string(s.email); w.string(s.phone)
        w.string(s.client.ip); w.string(s.client.userAgent)
        w.i64(s.startedAt); w.i64(s.lastActivity); w.optionalI64(s.endedAt)
        w.bool(s.page != nil)
        if let page = s.page { write(page, into: &w) }
        w.u32(UInt32(s.history.count))
        for visit in s.history { write(visit, into: &w) }
        w.string(s.checkoutItems); w.string(s.totalAmount); w.string(s.paymentMethod)
        w.string(s.checkoutStatus?.rawValue)
        w.u32(UInt32(max(0, s.openTabs)))
    }

    static func readSession(_ r: inout ByteReader) throws -> Session {
        var s = Session(id: try r.requiredString(), client: ClientInfo(), startedAt: 0, lastActivity: 0)
        s.userId = try r.string(); s.email = try r.string(); s.phone = try r.string()
        s.client = ClientInfo(ip: try r.string(), userAgent: try r.string())
        s.startedAt = try r.i64(); s.lastActivity = try r.i64(); s.endedAt = try r.optionalI64()
        if try r.bool() { s.page = try readVisit(&r) }
        let historyCount = try r.u32()
        guard historyCount <= 1000 else { throw HubSnapshot.ReadError.corruptPayload }
        for _ in 0..<historyCount { s.history.append(try readVisit(&r)) }
        s.checkoutItems = try r.string(); s.totalAmount = try r.string(); s.paymentMethod = try r.string()
        if let status = try r.string() {
            guard let parsed = Session.CheckoutStatus(rawValue: status) else { throw HubSnapshot.ReadError.corruptPayload }
            s.checkoutStatus = parsed
        }
        s.openTabs = Int32(clamping: try r.u32())
        return s
    }

    private static func write(_ e: PaymentErrorRecord, into w: inout ByteWriter) {
        w.i64(e.id); w.string(e.sessionId); w.i64(e.occurredAt); w.string(e.email); w.string(e.phone)
        w.string(e.checkoutItems); w.string(e.totalAmount); w.string(e.paymentMethod)
        w.string(e.errorCode); w.string(e.errorMessage); w.string(e.errorDetails)
        w.string(e.client.ip); w.string(e.client.userAgent)
    }

    private static func readError(_ r: inout ByteReader) throws(ByteReader.Truncated) -> PaymentErrorRecord {
        PaymentErrorRecord(id: try r.i64(), sessionId: try r.requiredString(), occurredAt: try r.i64(),
                           email: try r.string(), phone: try r.string(), checkoutItems: try r.string(),
                           totalAmount: try r.string(), paymentMethod: try r.string(), errorCode: try r.requiredString(),
                           errorMessage: try r.requiredString(), errorDetails: try r.string(),
                           client: ClientInfo(ip: try r.string(), userAgent: try r.string()))
    }
}
