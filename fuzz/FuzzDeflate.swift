// libFuzzer harness for inflating attacker bytes (built with Sources/WebSocketDeflate and
// Sources/WebSocket, less the handshake, by scripts/fuzz): compressed messages through the
// connection state machine with a 4 KiB limit. No crash, output never over the limit, and
// what the server compresses always inflates back to itself.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    guard let first = bytes.first else { return 0 }
    let agreement = PerMessageDeflate(serverMaxWindowBits: 9 + Int(first & 7) % 7, clientMaxWindowBits: 8 + Int(first >> 3 & 7),
                                      clientNoContextTakeover: first & 0x80 != 0)
    // 1. Raw inflation of the input, as one message and as several.
    let inflater = Inflater(agreement: agreement)
    for piece in bytes.dropFirst().split(separator: 0xAA, maxSplits: 3, omittingEmptySubsequences: false) {
        if let out = try? inflater.decompress(Array(piece), maxSize: 4096) {
            precondition(out.count <= 4096, "inflated past the limit")
        }
    }
    // 2. The same bytes as frames into a connection that negotiated compression.
    var connection = WebSocketConnection(configuration: .init(maxMessageSize: 4096), decompressor: Inflater(agreement: agreement))
    connection.receive(Array(bytes.dropFirst())) { action in
        if case .deliver(let message) = action { precondition(message.data.count <= 4096) }
    }
    // 3. Round trip of our own compression.
    let deflater = Deflater(windowBits: agreement.serverMaxWindowBits)
    let compressed = bytes.withUnsafeBytes { deflater.compress($0) }
    let back = try? Inflater(agreement: PerMessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: agreement.serverMaxWindowBits, clientNoContextTakeover: true))
        .decompress(compressed, maxSize: 1 << 20)
    precondition(back == bytes, "our compression did not round-trip")
    return 0
}
