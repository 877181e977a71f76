// libFuzzer harness for the HTTP/1.1 request parser (built with Sources/HTTP1 by
// scripts/fuzz): no crash, and the same requests or error whatever the input split.

func parseRequests(_ bytes: ArraySlice<UInt8>, plan: SplitPlan?) -> String {
    var parser = HTTPRequestParser(limits: .init(maxHeadSize: 2048, maxBodySize: 4096, maxHeaderCount: 20))
    var log = ""
    feedInPieces(bytes, plan: plan) { piece in
        parser.append(piece)
        do {
            while let event = try parser.next() {
                if case .request(let r) = event {  // 100-continue is announced at a split-dependent point
                    log += "R \(r.head.method) \(r.head.target) \(r.head.minorVersion) \(r.head.headers.fields.count) \(r.body.count) \(r.head.keepAlive)\n"
                }
            }
            return true
        } catch {
            log += "E \(error)\n"
            return false
        }
    }
    return log
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    checkSplitInvariance(data, count, parseRequests)
}
