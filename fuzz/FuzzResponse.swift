// libFuzzer harness for the outgoing client's HTTP response parser: no crash on any bytes,
// and parsing the response in pieces gives what parsing it whole gives.

func describe(_ parser: inout HTTPResponseParser, atEnd: Bool) -> String {
    do {
        guard let response = try parser.response(atEndOfStream: atEnd) else { return "incomplete" }
        return "\(response.statusCode) \(response.reason) \(response.headers.fields.map { "\($0.name)=\($0.value)" }) \(response.body)"
    } catch {
        return "error \(error)"
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    checkSplitInvariance(data, count) { bytes, plan in
        var parser = HTTPResponseParser()
        parser.maxBodySize = 4096
        var early: String?
        feedInPieces(bytes, plan: plan) { piece in
            parser.append(piece)
            // A complete response (or an error) is final: the client stops reading there.
            let now = describe(&parser, atEnd: false)
            if now != "incomplete" { early = now; return false }
            return true
        }
        return early ?? describe(&parser, atEnd: true)
    }
}
