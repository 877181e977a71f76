/// Snapshot version 4's section for the shop's day: each session's `SessionDay`, in the
/// order of the sessions, so that a restart neither counts a visitor twice on one day nor
/// forgets where a session came from or how far it got in a funnel.
extension HubSnapshot {
    static func writeDays(_ sessions: [Session], into w: inout ByteWriter) {
        w.u32(UInt32(sessions.count))
        for session in sessions {
            let day = session.day
            w.u8(day.device.rawValue)
            w.string(day.source); w.string(day.utmSource); w.string(day.utmMedium); w.string(day.utmCampaign)
            w.i64(day.countedDay)
            w.u32(UInt32(day.marks.count))
            for mark in day.marks { w.u64(mark) }
            w.u32(day.funnelGeneration)
            w.u32(UInt32(day.funnelSteps.count))
            for step in day.funnelSteps { w.u8(step) }
            w.i64(day.engagedSince)
        }
    }

    /// Reads the section into `sessions` (its count must be theirs).
    static func readDays(_ r: inout ByteReader, into sessions: inout [Session]) throws {
        guard Int(try r.u32()) == sessions.count else { throw ReadError.corruptPayload }
        for index in sessions.indices {
            var day = SessionDay()
            guard let device = DeviceClass(rawValue: try r.u8()) else { throw ReadError.corruptPayload }
            day.device = device
            day.source = try r.string(); day.utmSource = try r.string(); day.utmMedium = try r.string(); day.utmCampaign = try r.string()
            day.countedDay = try r.i64()
            let marks = try r.u32()
            guard marks <= SessionDay.markLimit else { throw ReadError.corruptPayload }
            for _ in 0..<marks { day.marks.append(try r.u64()) }
            day.funnelGeneration = try r.u32()
            let steps = try r.u32()
            guard steps <= CustomFunnel.maxFunnels else { throw ReadError.corruptPayload }
            for _ in 0..<steps { day.funnelSteps.append(try r.u8()) }
            day.engagedSince = try r.i64()
            sessions[index].day = day
        }
    }
}
