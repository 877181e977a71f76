/// The chunked transfer coding (RFC 9112 §7.1), sans I/O: a body sent as it is made, in
/// chunks each framed by its size in hex, ended by a chunk of size zero. For answers whose
/// length is not known when they start (a streamed export): no `Content-Length`, and the
/// sender never holds the whole body.
public enum ChunkedEncoder {
    /// `last-chunk` and the empty trailer section (§7.1): `0 CRLF CRLF`.
    public static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// `data` as one chunk: `chunk-size CRLF chunk-data CRLF` (§7.1). Empty data writes
    /// nothing: a chunk of size zero would be the last chunk and end the body (§7.1).
    public static func append(chunkOf data: [UInt8], to out: inout [UInt8]) {
        guard !data.isEmpty else { return }
        appendHex(data.count, to: &out)
        out.append(contentsOf: [0x0D, 0x0A])
        out.append(contentsOf: data)
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// `data` framed as one chunk (nothing for no data).
    public static func chunk(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 12)
        append(chunkOf: data, to: &out)
        return out
    }

    /// `chunk-size = 1*HEXDIG` (§7.1), lower case, no leading zeros.
    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if shift < 0 { shift = 0 }
        while shift >= 0 {
            out.append(digits[(value >> shift) & 0xF])
            shift -= 4
        }
    }
}

extension HTTPResponse {
    /// The head of an answer whose body follows in chunks (`ChunkedEncoder`):
    /// `Transfer-Encoding: chunked` instead of `Content-Length`, which a sender must not
    /// send beside it (RFC 9112 §6.2, §6.3). The body is not written here (`body` is
    /// ignored); `always` as in `serialize`.
    public func serializeChunkedHead(keepAlive: Bool, always: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        appendHead(to: &out, always: always)
        out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        if !keepAlive { out.append(contentsOf: "Connection: close\r\n".utf8) }
        out.append(contentsOf: "\r\n".utf8)
        return out
    }
}
