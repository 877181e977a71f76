// libFuzzer harness for what one node of a cluster reads from another through the
// database: a minute of history and a node's sessions (bytea, in the snapshot's
// encoding), a funnel answer, and a question's NOTIFY payload. No crash; what decodes
// encodes to something that decodes the same.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    if let point = MetricsHistory.Point(encoded: bytes), MetricsHistory.Point(encoded: point.encoded) != point {
        fatalError("a point did not survive encode/decode: \(point)")
    }
    if let sessions = Session.decoded(bytes, limit: 50) {
        let encoded = Session.encoded(sessions)
        guard let again = Session.decoded(encoded, limit: 50), Session.encoded(again) == encoded else {
            fatalError("sessions did not survive encode/decode")
        }
    }
    if let counts = ClusterQuery.counts(bytes, steps: 5), ClusterQuery.encoded(counts: counts) != bytes {
        fatalError("funnel counts did not survive encode/decode: \(counts)")
    }
    if let asked = ClusterQuery.asked(payload: String(decoding: bytes, as: UTF8.self)) {
        guard ClusterQuery.asked(payload: asked.query.payload(asker: asked.asker, id: asked.id)) == asked else {
            fatalError("a question did not survive its payload: \(asked)")
        }
    }
    return 0
}
