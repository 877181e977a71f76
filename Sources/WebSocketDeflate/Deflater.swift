import CZlib

/// Compresses whole messages with raw deflate (RFC 7692 §7.2.1), starting afresh each time
/// (no context takeover): the output for a payload depends only on the payload and the
/// settings, so one compression serves every connection with the same window.
/// Confined to one thread (one per loop and window size).
public final class Deflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch = [UInt8](repeating: 0, count: 16 * 1024)

    public init(windowBits: Int, level: Int32 = 6, memoryLevel: Int32 = 8) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = czlib_deflate_init(stream, level, Int32(max(9, windowBits)), memoryLevel)
        precondition(rc == Z_OK, "deflateInit2 failed: \(rc)")
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// The compressed payload, without the final 00 00 ff ff (§7.2.1).
    public func compress(_ payload: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count / 2 + 16)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: payload.bindMemory(to: UInt8.self).baseAddress)
        stream.pointee.avail_in = UInt32(payload.count)
        scratch.withUnsafeMutableBufferPointer { buffer in
            repeat {
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = UInt32(buffer.count)
                let rc = deflate(stream, Z_SYNC_FLUSH)
                precondition(rc == Z_OK || rc == Z_BUF_ERROR, "deflate failed: \(rc)")
                out.append(contentsOf: buffer[0..<(buffer.count - Int(stream.pointee.avail_out))])
            } while stream.pointee.avail_out == 0
        }
        stream.pointee.next_in = nil
        deflateReset(stream)
        // A sync flush ends with an empty stored block: 00 00 ff ff, which §7.2.1 removes.
        if out.count >= 4 && out.suffix(4) == [0x00, 0x00, 0xFF, 0xFF] { out.removeLast(4) }
        return out
    }
}
