// libFuzzer harness for the shop's day: (1) a version-4 snapshot framed around the input (so
// the checksum passes and the session and day decoders read attacker bytes) must decode or be
// refused, and one that decodes must encode back to the same bytes' meaning; (2) the input's
// lines drive a hub as beacons from hostile browsers (user agents, URLs, event names and
// props, engaged times): no crash, and no keyed metric holds more names than the bound.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: count))
    var file = ByteWriter()
    for b in Array("LHSNAP".utf8) { file.u8(b) }
    file.u8(4); file.u8(0)
    file.u64(UInt64(input.count))
    file.u32(CRC32.checksum(input[...]))
    if let snapshot = try? HubSnapshot.decode(file.bytes + input) {
        let again = try! HubSnapshot.decode(snapshot.encoded())
        guard again.sessions.map(\.day) == snapshot.sessions.map(\.day), again.sessions.count == snapshot.sessions.count else {
            fatalError("a snapshot's days did not survive encode/decode")
        }
    }

    let clock = ManualClock(1_795_000_000_000)
    var configuration = PresenceHub.Configuration()
    configuration.maxTrackedKeys = 4
    let hub = PresenceHub(clock: clock, configuration: configuration)
    hub.setFunnels([CustomFunnel(id: "f", name: "F", steps: [.page(type: "a", identifier: nil), .event(name: "b")])])
    for line in String(decoding: input, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).prefix(200) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let op = fields.first?.utf8.first else { continue }
        let arg = fields.count > 1 ? fields[1] : ""
        let session = "s\(op % 4)"
        switch op % 7 {
        case 0: try? hub.startSession(id: session, client: ClientInfo(userAgent: arg), origin: .init(referrerHost: fields.count > 2 ? fields[2] : nil, utmSource: arg))
        case 1: try? hub.pageVisit(sessionId: session, pageType: PageType(rawValue: arg), identifier: fields.count > 2 ? fields[2] : nil, url: arg)
        case 2: try? hub.event(sessionId: session, name: arg, props: fields.count > 2 ? [(arg, fields[2])] : [])
        case 3: try? hub.heartbeat(sessionId: session, engagedMilliseconds: Int64(arg))
        case 4: hub.endSession(session)
        case 5: clock.advance(milliseconds: Int64(arg.utf8.count) * 7_919_000)
        default: _ = PresenceHub.path(of: arg); _ = DeviceClass(userAgent: arg)
        }
    }
    var names: [String: Set<String>] = [:]
    for minute in hub.takeRollups() { for c in minute.counts where !c.key.isEmpty { names[c.metric, default: []].insert(c.key) } }
    // At most 4 names a day per metric (3 and "other"), over the days the run spanned.
    let days = Int((clock.nowMilliseconds - 1_795_000_000_000) / 86_400_000) + 2
    for (metric, keys) in names where !metric.hasPrefix("funnel:") && keys.count > 4 * days {
        fatalError("\(metric) holds \(keys.count) names over \(days) days")
    }
    return 0
}
