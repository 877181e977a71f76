/// An `http://` or `https://` URL as the outgoing client needs it (RFC 3986 §3, without
/// user info): scheme, host, port and the request target.
public struct OutgoingURL: Sendable, Equatable, CustomStringConvertible {
    public let isTLS: Bool
    /// The host as written, without the brackets of an IPv6 literal.
    public let host: String
    public let port: Int
    /// Path and query, at least "/".
    public let target: String

    public init?(_ text: String) {
        let rest: Substring
        if text.lowercased().hasPrefix("https://") {
            isTLS = true
            rest = text.dropFirst(8)
        } else if text.lowercased().hasPrefix("http://") {
            isTLS = false
            rest = text.dropFirst(7)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = rest[authorityEnd...]
        if let fragment = path.firstIndex(of: "#") { path = path[..<fragment] }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { return nil }
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port) else { return nil }
            self.port = port
        } else {
            port = isTLS ? 443 : 80
        }
        host = hostPart.lowercased()
        guard path.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { return nil }
        target = path.isEmpty ? "/" : (path.hasPrefix("?") ? "/" + path : String(path))
    }

    /// The `Host` header value (RFC 9110 §7.2): the port only when it is not the default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (isTLS ? 443 : 80) ? name : "\(name):\(port)"
    }

    public var description: String { "\(isTLS ? "https" : "http")://\(hostHeader)\(target)" }
}
