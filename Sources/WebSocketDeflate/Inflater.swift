import CZlib
import WebSocket

/// Inflates a client's compressed messages (RFC 7692 §7.2.2), capped: output beyond the
/// message size limit stops the work at once with 1009, so a small zip bomb costs at
/// most one limit's worth of memory. Keeps its window between messages unless the client
/// agreed to `client_no_context_takeover`. Made on the first compressed message, so an
/// idle connection holds no zlib state.
public final class Inflater: MessageDecompressor {
    private let agreement: PerMessageDeflate
    private var stream: UnsafeMutablePointer<z_stream>?
    /// Set after a failure: the stream is in an unknown state and is not used again.
    private var broken = false

    public init(agreement: PerMessageDeflate) {
        self.agreement = agreement
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
    }

    private func makeStream() -> UnsafeMutablePointer<z_stream> {
        if let stream { return stream }
        let made = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        made.initialize(to: z_stream())
        let rc = czlib_inflate_init(made, Int32(agreement.clientMaxWindowBits))
        precondition(rc == Z_OK, "inflateInit2 failed: \(rc)")
        stream = made
        return made
    }

    public func decompress(_ payload: [UInt8], maxSize: Int) throws(WebSocketProtocolError) -> [UInt8] {
        guard !broken else { throw .invalidCompressedData }
        let stream = makeStream()
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        // §7.2.2: append 00 00 ff ff, then inflate.
        let input = payload + [0x00, 0x00, 0xFF, 0xFF]
        var failure: WebSocketProtocolError?
        input.withUnsafeBufferPointer { inBuffer in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.pointee.avail_in = UInt32(inBuffer.count)
            chunk.withUnsafeMutableBufferPointer { outBuffer in
                while true {
                    stream.pointee.next_out = outBuffer.baseAddress
                    stream.pointee.avail_out = UInt32(outBuffer.count)
                    let rc = inflate(stream, Z_SYNC_FLUSH)
                    let produced = outBuffer.count - Int(stream.pointee.avail_out)
                    if out.count + produced > maxSize {
                        failure = .messageTooLarge
                        return
                    }
                    out.append(contentsOf: outBuffer[0..<produced])
                    if rc == Z_STREAM_END || (rc == Z_BUF_ERROR && produced == 0) { return }
                    if rc != Z_OK {
                        failure = .invalidCompressedData
                        return
                    }
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return }
                }
            }
        }
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        if let failure {
            broken = true
            throw failure
        }
        if agreement.clientNoContextTakeover { inflateReset(stream) }
        return out
    }
}
