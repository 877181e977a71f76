/// What the nodes of a cluster hand each other through the database, in the snapshot's
/// encoding (one format to keep readable, not two).
extension MetricsHistory.Point {
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        HubSnapshot.write(self, into: &writer)
        return writer.bytes
    }

    /// Nil unless `bytes` is exactly one point.
    public init?(encoded bytes: [UInt8]) {
        var reader = ByteReader(bytes, offset: 0)
        guard let point = try? HubSnapshot.readPoint(&reader), reader.remaining == 0 else { return nil }
        self = point
    }
}

extension Session {
    /// Sessions as a snapshot holds them.
    public static func encoded(_ sessions: some Sequence<Session>) -> [UInt8] {
        var writer = ByteWriter()
        for session in sessions { HubSnapshot.write(session, into: &writer) }
        return writer.bytes
    }

    /// Nil unless `bytes` is whole sessions, at most `limit` of them.
    public static func decoded(_ bytes: [UInt8], limit: Int) -> [Session]? {
        var reader = ByteReader(bytes, offset: 0)
        var sessions: [Session] = []
        while reader.remaining > 0 {
            guard sessions.count < limit, let session = try? HubSnapshot.readSession(&reader) else { return nil }
            sessions.append(session)
        }
        return sessions
    }
}
