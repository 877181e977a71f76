/// A response to serialize. `Content-Length` and `Connection` are written by `serialize`.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: HTTPStatus, contentType: String, body: String) {
        self.init(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: Array(body.utf8))
    }

    /// The bytes on the wire. A 1xx/101 answer carries no body and no Content-Length
    /// (RFC 9110 §8.6); `headOnly` answers a HEAD request with the length but not the body.
    /// `always` is header lines (each ending CRLF) that every answer of the caller carries.
    public func serialize(keepAlive: Bool, headOnly: Bool = false, always: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + body.count)
        appendHead(to: &out, always: always)
        if status.code >= 200 {
            out.append(contentsOf: "Content-Length: ".utf8)
            Self.appendDecimal(body.count, to: &out)
            out.append(contentsOf: "\r\n".utf8)
            if !keepAlive { out.append(contentsOf: "Connection: close\r\n".utf8) }
        }
        out.append(contentsOf: "\r\n".utf8)
        if status.code >= 200 && !headOnly { out.append(contentsOf: body) }
        return out
    }

    /// The status line and the header fields, each ending CRLF (not the empty line that
    /// ends the head): what every framing of the body shares.
    func appendHead(to out: inout [UInt8], always: [UInt8]) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        Self.appendDecimal(status.code, to: &out)
        out.append(0x20)
        out.append(contentsOf: status.reason.utf8)
        out.append(contentsOf: "\r\n".utf8)
        for (name, value) in headers.fields {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            // A field value holds no CR, LF or NUL (RFC 9110 §5.5), wherever it came from (a
            // value read from a database, say): each becomes a space, so no value can end
            // the field and start another (response splitting).
            if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
                out.append(contentsOf: value.utf8.map { $0 == 0x0D || $0 == 0x0A || $0 == 0 ? 0x20 : $0 })
            } else {
                out.append(contentsOf: value.utf8)
            }
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: always)
    }

    /// A non-negative number's digits (no interpolated String per response).
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = max(value, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(0x30 + n % 10)
                n /= 10
                count += 1
            } while n > 0
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }
}
