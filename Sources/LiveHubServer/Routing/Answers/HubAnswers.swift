import HTTP1
import Hub
import JSON
import Money

/// The hub's typed replies as HTTP answers, made on the loop the request came in on: the
/// hub's loop hands back values and never writes JSON for a caller.
enum HubAnswers {
    static func response(_ reply: HubReply) -> HTTPResponse {
        switch reply {
        case .presence(let reply): return presence(reply)
        case .sessions(let found): return sessions(found)
        case .funnels(let found): return funnels(found)
        case .erasurePreview(let preview): return ErasureAnswers.preview(preview)
        case .erasure(let outcome): return ErasureAnswers.erasure(outcome)
        }
    }

    static func presence(_ reply: PresenceReply) -> HTTPResponse {
        switch reply {
        case .applied(let session):
            // `{"ok":true,"session_id":…}`, written straight: this is every beacon's answer.
            var json = JSONWriter()
            json.beginObject()
            json.key("ok")
            json.bool(true)
            json.field("session_id", session)
            json.endObject()
            return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: json.bytes)
        case .tableFull:
            return APIError(.serviceUnavailable, code: "session_table_full",
                            message: "the hub holds as many live sessions as --max-sessions allows; try again later").response
        case .noted:
            return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array(#"{"ok":true}"#.utf8))
        case .swept(let expired):
            return HTTPResponse(status: .ok, contentType: "application/json", body: "{\"expired\":\(expired)}")
        case .history(let points):
            return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: HubMessages.history(points))
        }
    }

    /// The sessions, and in `LiveHub-Unanswered-Nodes` the nodes that did not answer.
    static func sessions(_ found: SessionsFound) -> HTTPResponse {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if !found.unanswered.isEmpty {
            // Node ids come from the database: each is checked before it goes in a header.
            headers.add(name: "LiveHub-Unanswered-Nodes", value: found.unanswered.map(nodeName).joined(separator: ","))
        }
        return HTTPResponse(status: .ok, headers: headers, body: HubMessages.sessions(found.sessions))
    }

    /// A node id as an answer names it: as it is if it is one `--node-id` could be
    /// (printable, no space, no comma), else `(invalid node id)`.
    static func nodeName(_ id: String) -> String {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }) ? id : "(invalid node id)"
    }

    /// `{"window_start", "registration", "checkout", "payment"}`, each a funnel.
    static func funnels(_ found: FunnelsFound) -> HTTPResponse {
        let counts: FunnelCounts
        switch found.records {
        case .success(let read): counts = read
        case .failure(let failure): return failure.response
        }
        var json = JSONWriter()
        json.beginObject()
        json.field("window_start", Timestamp.iso8601(milliseconds: found.since))
        json.key("registration")
        writeFunnel(Funnels.registration, counts: counts.registration, into: &json)
        json.key("checkout")
        writeFunnel(Funnels.checkout, counts: found.checkout, into: &json)
        json.key("payment")
        writeFunnel(Funnels.payment, counts: counts.payment, into: &json)
        json.endObject()
        return MoneyAnswers.json(.ok, json.bytes)
    }

    /// `{"steps": [{step, count, drop_off, drop_off_rate}], "conversion_rate"}`: drop-off is
    /// how many of the step before did not reach this one.
    private static func writeFunnel(_ names: [String], counts: [Int], into json: inout JSONWriter) {
        json.beginObject()
        json.key("steps")
        json.beginArray()
        for (i, name) in names.enumerated() {
            json.beginObject()
            json.field("step", name)
            json.field("count", counts[i])
            let before = i == 0 ? counts[i] : counts[i - 1]
            json.field("drop_off", before - counts[i])
            json.key("drop_off_rate"); json.raw(Self.ratio(before - counts[i], before))
            json.endObject()
        }
        json.endArray()
        json.key("conversion_rate"); json.raw(Self.ratio(counts.last ?? 0, counts.first ?? 0))
        json.endObject()
    }

    /// A share as a decimal with four places, from integers (no float).
    static func ratio(_ part: Int, _ whole: Int) -> String {
        guard whole > 0 else { return "0" }
        let tenThousandths = (part * 10_000 + whole / 2) / whole
        let fraction = String(tenThousandths % 10_000)
        return "\(tenThousandths / 10_000)." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }
}
