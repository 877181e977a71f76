/// Server frames (RFC 6455 §5.2): never masked. A frame is encoded once into one byte
/// array, so a broadcast hands the same bytes to every connection.
public enum WebSocketFrameEncoder {
    public static func headerSize(payloadCount: Int) -> Int {
        payloadCount < 126 ? 2 : payloadCount <= 0xFFFF ? 4 : 10
    }

    public static func encode(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, fin: Bool = true, rsv1: Bool = false) -> [UInt8] {
        let header = headerSize(payloadCount: payload.count)
        return [UInt8](unsafeUninitializedCapacity: header + payload.count) { out, initialized in
            writeHeader(into: out, opcode: opcode, payloadCount: payload.count, fin: fin, rsv1: rsv1)
            if let base = payload.baseAddress, payload.count > 0 {
                UnsafeMutableRawPointer(out.baseAddress! + header).copyMemory(from: base, byteCount: payload.count)
            }
            initialized = header + payload.count
        }
    }

    /// Writes header and payload into `out`, which holds exactly
    /// `headerSize(payloadCount:) + payload.count` bytes (a buffer shared by a broadcast).
    public static func encode(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, fin: Bool = true, rsv1: Bool = false) {
        let header = headerSize(payloadCount: payload.count)
        precondition(out.count == header + payload.count)
        writeHeader(into: out.bindMemory(to: UInt8.self), opcode: opcode, payloadCount: payload.count, fin: fin, rsv1: rsv1)
        if let base = payload.baseAddress, payload.count > 0 {
            (out.baseAddress! + header).copyMemory(from: base, byteCount: payload.count)
        }
    }

    public static func encode(opcode: WebSocketOpcode, payload: [UInt8], fin: Bool = true, rsv1: Bool = false) -> [UInt8] {
        payload.withUnsafeBytes { encode(opcode: opcode, payload: $0, fin: fin, rsv1: rsv1) }
    }

    /// A close frame: the code then the UTF-8 reason (§5.5.1), the reason cut so the
    /// payload stays within 125 bytes. No code: an empty close payload.
    public static func encodeClose(code: WebSocketCloseCode?, reason: String = "") -> [UInt8] {
        guard let code else { return encode(opcode: .close, payload: []) }
        var payload: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        var reasonBytes = Array(reason.utf8.prefix(123))
        while !reasonBytes.isEmpty {  // never cut inside a code point
            var validator = UTF8Validator()
            if validator.validate(reasonBytes) && validator.isComplete { break }
            reasonBytes.removeLast()
        }
        payload += reasonBytes
        return encode(opcode: .close, payload: payload)
    }

    @inline(__always)
    static func writeHeader(into out: UnsafeMutableBufferPointer<UInt8>, opcode: WebSocketOpcode, payloadCount: Int, fin: Bool, rsv1: Bool) {
        out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode.rawValue
        if payloadCount < 126 {
            out[1] = UInt8(payloadCount)
        } else if payloadCount <= 0xFFFF {
            out[1] = 126
            out[2] = UInt8(payloadCount >> 8)
            out[3] = UInt8(payloadCount & 0xFF)
        } else {
            out[1] = 127
            let n = UInt64(payloadCount)
            for k in 0..<8 { out[2 + k] = UInt8(truncatingIfNeeded: n >> (56 - 8 * UInt64(k))) }
        }
    }
}
