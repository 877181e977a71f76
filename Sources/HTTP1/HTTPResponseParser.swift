/// A response received by the client side.
public struct HTTPClientResponse: Sendable {
    public var statusCode: Int
    public var reason: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
}

/// Why a response could not be read.
public enum HTTPResponseParseError: Error, Equatable, Sendable {
    case headTooLarge
    case bodyTooLarge
    case malformed(String)
    /// The connection ended before the response did.
    case truncated
}

/// A sans-I/O HTTP/1.1 response parser for the hub's small outgoing client (RFC 9112 §4,
/// §6): status line, header fields, then a body framed by `Transfer-Encoding: chunked`,
/// `Content-Length`, or the end of the connection (§6.3 rule 8). One response per
/// connection: the client always sends `Connection: close`.
public struct HTTPResponseParser: Sendable {
    public var maxHeadSize = 16 * 1024
    public var maxBodySize = 1 << 20
    /// HEAD answers and 1xx/204/304 carry no body (RFC 9112 §6.3 rule 1).
    public var requestWasHead = false

    private var buffer: [UInt8] = []
    private var head: (code: Int, reason: String, headers: HTTPHeaders, bodyStart: Int)?

    public init() {}

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// The response once it is complete; nil while more bytes are needed. With
    /// `atEndOfStream`, a body delimited by the close is complete and anything else short
    /// is `truncated`.
    public mutating func response(atEndOfStream: Bool = false) throws(HTTPResponseParseError) -> HTTPClientResponse? {
        if head == nil {
            guard let end = Self.headEnd(in: buffer) else {
                if buffer.count > maxHeadSize { throw .headTooLarge }
                if atEndOfStream { throw .truncated }
                return nil
            }
            if end > maxHeadSize { throw .headTooLarge }
            head = try Self.parseHead(buffer[..<end], bodyStart: end + 4)
        }
        guard let head else { return nil }
        let respond = { (body: [UInt8]) in
            HTTPClientResponse(statusCode: head.code, reason: head.reason, headers: head.headers, body: body)
        }
        if requestWasHead || head.code < 200 || head.code == 204 || head.code == 304 { return respond([]) }
        let rest = buffer[head.bodyStart...]
        if head.headers.contains("Transfer-Encoding", token: "chunked") {
            guard let body = try Self.decodeChunked(rest, limit: maxBodySize) else {
                if atEndOfStream { throw .truncated }
                return nil
            }
            return respond(body)
        }
        if let lengthText = head.headers["Content-Length"] {
            guard let length = Int(lengthText.trimmingOWS()), length >= 0 else { throw .malformed("Content-Length \(lengthText)") }
            if length > maxBodySize { throw .bodyTooLarge }
            guard rest.count >= length else {
                if atEndOfStream { throw .truncated }
                return nil
            }
            return respond(Array(rest.prefix(length)))
        }
        if rest.count > maxBodySize { throw .bodyTooLarge }
        return atEndOfStream ? respond(Array(rest)) : nil
    }

    private static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    private static func parseHead(_ bytes: ArraySlice<UInt8>, bodyStart: Int) throws(HTTPResponseParseError) -> (code: Int, reason: String, headers: HTTPHeaders, bodyStart: Int) {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let statusLine = lines.popFirst() else { throw .malformed("no status line") }
        // status-line = HTTP-version SP status-code SP [ reason-phrase ]   (§4)
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0",
              parts[1].count == 3, let code = Int(parts[1]), code >= 100 else {
            throw .malformed("status line \(statusLine.prefix(64))")
        }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { throw .malformed("header line \(line.prefix(64))") }
            headers.add(name: String(line[..<colon]), value: String(line[line.index(after: colon)...].trimmingOWS()))
        }
        return (code, parts.count == 3 ? String(parts[2]) : "", headers, bodyStart)
    }

    /// The body of a chunked message (§7.1), or nil if it has not all arrived.
    private static func decodeChunked(_ bytes: ArraySlice<UInt8>, limit: Int) throws(HTTPResponseParseError) -> [UInt8]? {
        var body: [UInt8] = []
        var index = bytes.startIndex
        func line() -> ArraySlice<UInt8>? {
            var i = index
            while i + 1 < bytes.endIndex {
                if bytes[i] == 13 && bytes[i + 1] == 10 {
                    let found = bytes[index..<i]
                    index = i + 2
                    return found
                }
                i += 1
            }
            return nil
        }
        while true {
            guard let sizeLine = line() else { return nil }
            var size = 0
            var digits = 0
            for byte in sizeLine {
                guard let value = hexValue(byte) else {
                    if byte == 59 || byte == 32 || byte == 9 { break }  // ";" starts chunk extensions
                    throw .malformed("chunk size")
                }
                size = size * 16 + Int(value)
                digits += 1
                if digits > 8 { throw .bodyTooLarge }
            }
            guard digits > 0 else { throw .malformed("chunk size") }
            if size == 0 {
                // Trailer fields, then the empty line.
                while true {
                    guard let trailer = line() else { return nil }
                    if trailer.isEmpty { return body }
                }
            }
            if body.count + size > limit { throw .bodyTooLarge }
            guard bytes.endIndex - index >= size + 2 else { return nil }
            body.append(contentsOf: bytes[index..<(index + size)])
            index += size
            guard bytes[index] == 13 && bytes[index + 1] == 10 else { throw .malformed("chunk not followed by CRLF") }
            index += 2
        }
    }
}
