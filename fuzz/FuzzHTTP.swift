// libFuzzer harness for the HTTP/1.1 request parser. Built into one module with
// Sources/HTTP1 by scripts/fuzz. The first four bytes seed where the rest is split, and
// the split parse must equal the whole parse: incremental parsing is checked at every
// boundary, not only "does not crash".

struct SplitPlan {
    var state: UInt32
    mutating func nextChunk() -> Int {
        state ^= state << 13; state ^= state >> 17; state ^= state << 5
        return Int(state % 97) + 1
    }
}

func run(_ bytes: ArraySlice<UInt8>, plan: inout SplitPlan?) -> String {
    var parser = HTTPRequestParser(limits: .init(maxHeadSize: 2048, maxBodySize: 4096, maxHeaderCount: 20))
    var log = ""
    var offset = bytes.startIndex
    while offset < bytes.endIndex {
        let step = plan == nil ? bytes.count : plan!.nextChunk()
        let end = min(offset + step, bytes.endIndex)
        parser.append(Array(bytes[offset..<end]))
        offset = end
        do {
            while let event = try parser.next() {
                switch event {
                case .request(let r):
                    log += "R \(r.head.method) \(r.head.target) \(r.head.minorVersion) \(r.head.headers.fields.count) \(r.body.count) \(r.head.keepAlive)\n"
                case .expectsContinue:
                    break  // announced at a point that depends on the split
                }
            }
        } catch {
            return log + "E \(error)\n"
        }
    }
    return log
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count >= 4 else { return 0 }
    let all = Array(UnsafeBufferPointer(start: data, count: count))
    let seed = UInt32(all[0]) | UInt32(all[1]) << 8 | UInt32(all[2]) << 16 | UInt32(all[3]) << 24
    let input = all[4...]
    var none: SplitPlan? = nil
    var split: SplitPlan? = SplitPlan(state: seed | 1)
    let whole = run(input, plan: &none)
    let pieces = run(input, plan: &split)
    if whole != pieces {
        fatalError("split parse differs:\n\(whole)\n---\n\(pieces)")
    }
    return 0
}
