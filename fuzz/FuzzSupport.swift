// Shared by both harnesses: the first four bytes of a fuzz input seed where the rest is
// split, and a parse of the pieces must give exactly what a parse of the whole gives.

struct SplitPlan {
    var state: UInt32
    mutating func nextChunk() -> Int {
        state ^= state << 13; state ^= state >> 17; state ^= state << 5
        return Int(state % 97) + 1
    }
}

/// Feeds `bytes` to `feed` whole (plan nil) or in the plan's pieces.
func feedInPieces(_ bytes: ArraySlice<UInt8>, plan: SplitPlan?, _ feed: ([UInt8]) -> Bool) {
    var plan = plan
    var offset = bytes.startIndex
    while offset < bytes.endIndex {
        let step = plan == nil ? bytes.count : plan!.nextChunk()
        let end = min(offset + step, bytes.endIndex)
        if !feed(Array(bytes[offset..<end])) { return }
        offset = end
    }
}

/// Runs `parse` on the input whole and split; traps (a finding) if they differ.
func checkSplitInvariance<Result: Equatable>(_ data: UnsafePointer<UInt8>, _ count: Int,
                                             _ parse: (ArraySlice<UInt8>, SplitPlan?) -> Result) -> CInt {
    guard count >= 4 else { return 0 }
    let all = Array(UnsafeBufferPointer(start: data, count: count))
    let seed = UInt32(all[0]) | UInt32(all[1]) << 8 | UInt32(all[2]) << 16 | UInt32(all[3]) << 24
    let whole = parse(all[4...], nil)
    let pieces = parse(all[4...], SplitPlan(state: seed | 1))
    if whole != pieces {
        fatalError("split parse differs:\n\(whole)\n---\n\(pieces)")
    }
    return 0
}
