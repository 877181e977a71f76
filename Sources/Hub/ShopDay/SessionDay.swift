/// What the shop's day needs to remember of one session: its device and where it came from
/// (kept as long as the session is, never on its own), which day it was last counted on, what
/// it did once that day (so visitors of a page or an event count each session once), and how
/// far it got in each custom funnel.
public struct SessionDay: Sendable, Equatable {
    /// Where a session came from (its start beacon's referrer host and UTM tags), held once
    /// per session that says (most come direct): a reference keeps a million sessions' days
    /// small, and the beacon that brings it hands the same one over.
    public final class Origin: Sendable, Equatable {
        public let referrerHost: String?, utmSource: String?, utmMedium: String?, utmCampaign: String?

        public init(referrerHost: String? = nil, utmSource: String? = nil, utmMedium: String? = nil, utmCampaign: String? = nil) {
            self.referrerHost = referrerHost
            self.utmSource = utmSource
            self.utmMedium = utmMedium
            self.utmCampaign = utmCampaign
        }

        public var isEmpty: Bool { referrerHost == nil && utmSource == nil && utmMedium == nil && utmCampaign == nil }

        public static func == (a: Origin, b: Origin) -> Bool {
            (a.referrerHost, a.utmSource, a.utmMedium, a.utmCampaign) == (b.referrerHost, b.utmSource, b.utmMedium, b.utmCampaign)
        }
    }

    public var device: DeviceClass = .desktop
    public var origin: Origin?
    /// The day (since the epoch, UTC) the session was last counted as a visitor on; -1 never.
    public var countedDay: Int32 = -1
    /// The generation of the funnels the progress is for (`FunnelSet.generation`).
    public var funnelGeneration: UInt32 = 0
    /// Hashes of the page types and event names counted once today (`mark`), at most `markLimit`.
    public var marks = MarkSet()
    /// Per funnel, the steps reached.
    public var funnelSteps: [UInt8] = []
    /// When engaged time was last credited (milliseconds): what a heartbeat reports is
    /// capped at the time since.
    public var engagedSince: Int64 = 0

    public static let markLimit = 64

    public init() {}

    public var isBot: Bool { device == .bot }
    /// The referrer's host, nil for none (direct).
    public var source: String? { origin?.referrerHost }
    public var utmSource: String? { origin?.utmSource }
    public var utmMedium: String? { origin?.utmMedium }
    public var utmCampaign: String? { origin?.utmCampaign }

    /// Whether this mark is new today (it is remembered, up to `markLimit`).
    mutating func firstToday(_ mark: UInt32) -> Bool {
        if marks.contains(mark) { return false }
        if marks.count < Self.markLimit { marks.append(mark) }
        return true
    }

    /// A day's marks: the first four held in place (most sessions see a few page types and
    /// events a day), the rest in an array, so most sessions allocate nothing for them.
    public struct MarkSet: Sendable, Equatable, Sequence {
        private var inline: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        private var more: [UInt32] = []
        public private(set) var count = 0

        public init() {}

        public init(_ marks: [UInt32]) {
            for mark in marks { append(mark) }
        }

        public func contains(_ mark: UInt32) -> Bool {
            switch count {
            case 0: return false
            case 1: return inline.0 == mark
            case 2: return inline.0 == mark || inline.1 == mark
            case 3: return inline.0 == mark || inline.1 == mark || inline.2 == mark
            default: return inline.0 == mark || inline.1 == mark || inline.2 == mark || inline.3 == mark || more.contains(mark)
            }
        }

        public mutating func append(_ mark: UInt32) {
            switch count {
            case 0: inline.0 = mark
            case 1: inline.1 = mark
            case 2: inline.2 = mark
            case 3: inline.3 = mark
            default: more.append(mark)
            }
            count += 1
        }

        public func makeIterator() -> IndexingIterator<[UInt32]> {
            (Array([inline.0, inline.1, inline.2, inline.3].prefix(count)) + more).makeIterator()
        }

        public static func == (a: MarkSet, b: MarkSet) -> Bool { Array(a) == Array(b) }
    }

    /// A page type's or an event's mark: FNV-1a over a kind byte and the name (stable across
    /// runs, unlike `Hasher`, so a snapshot's marks still match after a restart). 32 bits: two
    /// of one session's few names a day sharing one is a chance in tens of millions.
    static func mark(_ kind: UInt8, _ name: String) -> UInt32 {
        UInt32(truncatingIfNeeded: hash(kind, name) >> 16)
    }

    static func hash(_ kind: UInt8, _ name: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(kind)
        hash = hash &* 0x0000_0100_0000_01B3
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
