/// A parsed request line and header section.
public struct HTTPRequestHead: Sendable {
    public var method: String
    /// The request target as sent (origin-form: path and query).
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var headers: HTTPHeaders

    public init(method: String, target: String, minorVersion: Int = 1, headers: HTTPHeaders = HTTPHeaders()) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
    }

    /// The target's path, before any `?`.
    public var path: Substring {
        guard let mark = queryMark else { return Substring(target) }
        return target[..<mark]
    }

    /// The target's query, after the first `?`, or "".
    public var query: Substring {
        guard let mark = queryMark else { return "" }
        return target[target.utf8.index(after: mark)...]
    }

    /// The first `?`, found byte by byte (a `Character` search would run grapheme breaking
    /// over every target; `?` is ASCII, so a byte is enough).
    private var queryMark: String.Index? { target.utf8.firstIndex(of: UInt8(ascii: "?")) }

    /// RFC 9112 §9.3: HTTP/1.1 is persistent unless `Connection: close`; HTTP/1.0 only
    /// with `Connection: keep-alive`.
    public var keepAlive: Bool {
        if minorVersion >= 1 { return !headers.contains("Connection", token: "close") }
        return headers.contains("Connection", token: "keep-alive")
    }
}

/// A whole request: the head and its body (de-chunked).
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]

    public init(head: HTTPRequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }
}
