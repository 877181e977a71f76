// libFuzzer harness for the WebSocket frame parser and connection state machine. Built
// into one module with Sources/WebSocket (less the handshake) by scripts/fuzz. The first
// four bytes seed where the rest is split; the actions must not depend on the split.

struct SplitPlan {
    var state: UInt32
    mutating func nextChunk() -> Int {
        state ^= state << 13; state ^= state >> 17; state ^= state << 5
        return Int(state % 97) + 1
    }
}

func run(_ bytes: ArraySlice<UInt8>, plan: inout SplitPlan?) -> [WebSocketConnection.Action] {
    var connection = WebSocketConnection(configuration: .init(maxMessageSize: 4096))
    var actions: [WebSocketConnection.Action] = []
    var offset = bytes.startIndex
    while offset < bytes.endIndex {
        let step = plan == nil ? bytes.count : plan!.nextChunk()
        let end = min(offset + step, bytes.endIndex)
        connection.receive(Array(bytes[offset..<end])) { actions.append($0) }
        offset = end
    }
    return actions
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
