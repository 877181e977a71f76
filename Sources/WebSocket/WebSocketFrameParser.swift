/// An incremental parser of client frames (RFC 6455 §5.2). Bytes go in with `append`
/// in any split; `next()` returns a frame once it is whole, nil while bytes are missing,
/// or throws the protocol error. Limits are checked from the header, before the payload
/// arrives, so an announced 2^63-byte frame costs nothing.
public struct WebSocketFrameParser: Sendable {
    // Every socket holds one: the flag last, so the struct has no padding hole and what
    // follows it in `WebSocketConnection` packs into its tail.
    public var maxFrameSize: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Set when permessage-deflate was negotiated: RSV1 is then legal.
    public var allowsRSV1: Bool

    public init(maxFrameSize: Int, allowsRSV1: Bool = false) {
        self.maxFrameSize = maxFrameSize
        self.allowsRSV1 = allowsRSV1
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// Bytes held for a frame not yet complete.
    public var bufferedCount: Int { buffer.count - readIndex }

    public mutating func next() throws(WebSocketProtocolError) -> WebSocketFrame? {
        let available = buffer.count - readIndex
        guard available >= 2 else { compact(); return nil }
        let b0 = buffer[readIndex]
        let b1 = buffer[readIndex + 1]
        let fin = b0 & 0x80 != 0
        let rsv1 = b0 & 0x40 != 0
        if b0 & 0x30 != 0 || (rsv1 && !allowsRSV1) { throw .reservedBitsSet }
        guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else { throw .unknownOpcode(b0 & 0x0F) }
        // §5.1: a server MUST close the connection upon receiving an unmasked frame.
        guard b1 & 0x80 != 0 else { throw .unmaskedClientFrame }
        if opcode.isControl {
            // RFC 7692 §6: RSV1 is never set on control frames.
            if rsv1 { throw .reservedBitsSet }
            // §5.5: control frames are never fragmented and carry at most 125 bytes.
            if !fin { throw .fragmentedControlFrame }
            if b1 & 0x7F > 125 { throw .controlFrameTooLong }
        } else if rsv1 && opcode == .continuation {
            // RFC 7692 §6.1: RSV1 is set on the first frame of a message only.
            throw .reservedBitsSet
        }

        var headerSize = 2
        var length = Int(b1 & 0x7F)
        if length == 126 {
            guard available >= 4 else { return nil }
            length = Int(buffer[readIndex + 2]) << 8 | Int(buffer[readIndex + 3])
            headerSize = 4
        } else if length == 127 {
            guard available >= 10 else { return nil }
            var wide: UInt64 = 0
            for k in 0..<8 { wide = wide << 8 | UInt64(buffer[readIndex + 2 + k]) }
            // §5.2: the most significant bit MUST be 0. Checked before any conversion,
            // which would trap on such a value.
            if wide & (1 << 63) != 0 { throw .lengthHighBitSet }
            if wide > UInt64(maxFrameSize) { throw .frameTooLarge }
            length = Int(wide)
            headerSize = 10
        }
        if length > maxFrameSize { throw .frameTooLarge }
        let total = headerSize + 4 + length
        guard available >= total else {
            buffer.reserveCapacity(readIndex + total)
            return nil
        }

        let maskStart = readIndex + headerSize
        let payloadStart = maskStart + 4
        var payload = [UInt8](repeating: 0, count: length)
        buffer.withUnsafeBytes { src in
            payload.withUnsafeMutableBytes { dst in
                let key = src.loadUnaligned(fromByteOffset: maskStart, as: UInt32.self)
                unmask(UnsafeRawBufferPointer(rebasing: src[payloadStart..<payloadStart + length]), key: key, into: dst)
            }
        }
        readIndex += total
        compact()
        return WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, payload: payload)
    }

    private mutating func compact() {
        if readIndex == buffer.count {
            // Idle connections keep no buffer at all.
            if buffer.capacity > 4096 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
            readIndex = 0
        } else if readIndex > 0 && readIndex * 2 >= buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }
}

/// §5.3: payload[i] ^ key[i % 4], eight bytes at a time.
@inline(__always)
func unmask(_ src: UnsafeRawBufferPointer, key: UInt32, into dst: UnsafeMutableRawBufferPointer) {
    let key64 = UInt64(key) | UInt64(key) << 32
    let count = src.count
    var i = 0
    while i + 8 <= count {
        let word = src.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ key64
        dst.storeBytes(of: word, toByteOffset: i, as: UInt64.self)
        i += 8
    }
    withUnsafeBytes(of: key) { keyBytes in
        while i < count {
            dst[i] = src[i] ^ keyBytes[i & 3]
            i += 1
        }
    }
}
