import Hub

/// A question one node asks every other about the sessions it holds (presence is sharded,
/// so support's lookup and the checkout funnel need every node's part). Asked by NOTIFY,
/// answered in `cluster_answers`; the asker waits a moment for each fresh node, never more.
public enum ClusterQuery: Sendable, Equatable {
    /// `GET /api/sessions`: the person's sessions (as `HubSnapshot` encodes sessions).
    case sessions(PersonKey)
    /// `GET /api/funnels`: the checkout steps of the sessions started since then.
    case checkoutFunnel(since: Int64)

    /// A question from another node, to be answered with `ClusterLink.answer`.
    public struct Asked: Sendable, Equatable {
        public var asker: String
        public var id: UInt64
        public var query: ClusterQuery
    }

    /// One node's answer to this node's question `queryID`.
    public struct Answer: Sendable, Equatable {
        public var queryID: UInt64
        public var node: String
        public var body: [UInt8]
    }

    /// A checkout funnel's answer: its step counts, 8 bytes each.
    public static func encoded(counts: [Int]) -> [UInt8] {
        counts.flatMap { count in withUnsafeBytes(of: Int64(count).littleEndian) { Array($0) } }
    }

    /// Nil unless `bytes` is exactly `steps` counts.
    public static func counts(_ bytes: [UInt8], steps: Int) -> [Int]? {
        guard bytes.count == 8 * steps else { return nil }
        return (0..<steps).map { step in
            Int(truncatingIfNeeded: bytes[(8 * step)..<(8 * step + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        }
    }

    /// The NOTIFY payload: `ASKER<TAB>ID<TAB>sessions<TAB>KIND<TAB>HEX` or
    /// `ASKER<TAB>ID<TAB>checkout<TAB>SINCE`. The person's key travels as hex: a payload is
    /// text and may hold neither NUL nor more than 8,000 bytes, and a key is any bytes up to
    /// 320 (node ids hold no tab: `--node-id` refuses one).
    func payload(asker: String, id: UInt64) -> String {
        switch self {
        case .sessions(let key): "\(asker)\t\(id)\tsessions\t\(key.kind)\t\(Hex.bytea(Array(key.value.utf8)))"
        case .checkoutFunnel(let since): "\(asker)\t\(id)\tcheckout\t\(since)"
        }
    }

    /// The question a payload asks; nil for one this build does not know (a newer node's).
    static func asked(payload: String) -> Asked? {
        let parts = payload.split(separator: "\t", omittingEmptySubsequences: false)
        guard parts.count >= 4, let id = UInt64(parts[1]) else { return nil }
        let asker = String(parts[0])
        switch parts[2] {
        case "sessions":
            guard parts.count == 5, let bytes = Hex.bytes(bytea: String(parts[4])),
                  let key = PersonKey(kind: String(parts[3]), value: String(decoding: bytes, as: UTF8.self)) else { return nil }
            return Asked(asker: asker, id: id, query: .sessions(key))
        case "checkout":
            guard parts.count == 4, let since = Int64(parts[3]) else { return nil }
            return Asked(asker: asker, id: id, query: .checkoutFunnel(since: since))
        default:
            return nil
        }
    }
}
