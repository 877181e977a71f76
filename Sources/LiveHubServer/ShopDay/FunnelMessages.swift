import Hub
import JSON
import Records

/// The JSON of custom funnels (README "The shop's day").
enum FunnelMessages {
    static func step(_ step: CustomFunnel.Step, into json: inout JSONWriter) {
        switch step {
        case .page(let type, let identifier):
            json.field("page_type", type.rawValue)
            if let identifier { json.field("identifier", identifier) }
        case .event(let name):
            json.field("event", name)
        }
    }

    static func funnel(_ funnel: CustomFunnel, into json: inout JSONWriter) {
        json.beginObject()
        json.field("id", funnel.id)
        json.field("name", funnel.name)
        json.key("steps")
        json.beginArray()
        for s in funnel.steps {
            json.beginObject()
            step(s, into: &json)
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    static func list(_ funnels: [CustomFunnel]) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.key("funnels")
        json.beginArray()
        for funnel in funnels { self.funnel(funnel, into: &json) }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    static func one(_ funnel: CustomFunnel) -> [UInt8] {
        var json = JSONWriter()
        self.funnel(funnel, into: &json)
        return json.bytes
    }

    /// Each step with the sessions that reached it, those lost since the step before, and
    /// the share of the first step's that got this far.
    static func report(_ funnel: CustomFunnel, reached: [Int64], from: Int64, to: Int64) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("id", funnel.id)
        json.field("name", funnel.name)
        json.field("from", Timestamp.iso8601(milliseconds: from))
        json.field("to", Timestamp.iso8601(milliseconds: to))
        json.key("steps")
        json.beginArray()
        for (index, s) in funnel.steps.enumerated() {
            json.beginObject()
            step(s, into: &json)
            json.field("sessions", Int(reached[index]))
            json.field("drop_off", index == 0 ? 0 : Int(max(0, reached[index - 1] - reached[index])))
            json.key("conversion"); json.raw(AnalyticsMessages.ratio(reached[index], reached[0]))
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }
}
