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
