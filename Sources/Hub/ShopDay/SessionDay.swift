/// What the shop's day needs to remember of one session: its device and where it came from
/// (kept as long as the session is, never on its own), which day it was last counted on, what
/// it did once that day (so visitors of a page or an event count each session once), and how
/// far it got in each custom funnel.
public struct SessionDay: Sendable, Equatable {
    public var device: DeviceClass = .desktop
    /// The referrer's host, nil for none (direct).
    public var source: String?
    public var utmSource: String?
    public var utmMedium: String?
    public var utmCampaign: String?
    /// The day (since the epoch, UTC) the session was last counted as a visitor on; -1 never.
    public var countedDay: Int64 = -1
    /// Hashes of the page types and event names counted once today (`Mark`), at most `markLimit`.
    public var marks: [UInt64] = []
    /// The `FunnelSet.generation` the progress is for, and per funnel the steps reached.
    public var funnelGeneration: UInt32 = 0
    public var funnelSteps: [UInt8] = []
    /// When engaged time was last credited (milliseconds): what a heartbeat reports is
    /// capped at the time since.
    public var engagedSince: Int64 = 0

    public static let markLimit = 64

    public init() {}

    public var isBot: Bool { device == .bot }

    /// Whether this mark is new today (it is remembered, up to `markLimit`).
    mutating func firstToday(_ mark: UInt64) -> Bool {
        if marks.contains(mark) { return false }
        if marks.count < Self.markLimit { marks.append(mark) }
        return true
    }

    /// A page type's or an event's mark: FNV-1a over a kind byte and the name (stable across
    /// runs, unlike `Hasher`, so a snapshot's marks still match after a restart).
    static func mark(_ kind: UInt8, _ name: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(kind)
        hash = hash &* 0x0000_0100_0000_01B3
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
