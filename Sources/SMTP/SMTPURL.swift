/// Where the hub hands its email over: `--smtp-url`.
///
/// - `smtp://[user:pass@]host[:port]`: a plain connection, port 25 by default. This
///   client cannot upgrade a plain connection to TLS (the reactor's `TCPConnection` starts
///   TLS only at connect time), so there is no STARTTLS (RFC 3207). Port 25 rather than
///   submission's 587 (RFC 6409 §3.1): a submission server requires AUTH, and this client
///   sends credentials over a plain channel only to a loopback host, which is where such a
///   relay runs (a local MTA on port 25 that forwards mail on).
/// - `smtps://[user:pass@]host[:port]`: implicit TLS from the first byte (RFC 8314 §3.3),
///   port 465 by default (RFC 8314 §7.3), the certificate verified against the host.
///
/// The user information is percent-decoded (RFC 3986 §2.1, §3.2.1), so a user name that is
/// an address is written `alerts%40example.com`. A path, query or fragment is refused.
/// The password is never printed: `description`, `debugDescription` and the mirror
/// redact it.
public struct SMTPURL: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The host as written, lower case, without the brackets of an IPv6 literal.
    public var host: String
    public var port: Int
    /// `smtps://`: TLS from the start (RFC 8314).
    public var implicitTLS: Bool
    public var username: String?
    public var password: String?

    public init?(_ text: String) {
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("smtps://") {
            implicitTLS = true
            rest = text.dropFirst(8)
        } else if lowered.hasPrefix("smtp://") {
            implicitTLS = false
            rest = text.dropFirst(7)
        } else {
            return nil
        }
        var authority = rest
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.isEmpty, !authority.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) else { return nil }
        // RFC 3986 §3.2.1: userinfo "@" host. The last "@" ends it, so a password with an
        // unescaped "@" still reads as meant.
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            guard let colon = userinfo.firstIndex(of: ":"),
                  let user = PercentDecoding.decode(userinfo[..<colon]),
                  let pass = PercentDecoding.decode(userinfo[userinfo.index(after: colon)...]),
                  SMTPCredentials(username: user, password: pass) != nil else { return nil }
            username = user
            password = pass
        } else {
            username = nil
            password = nil
        }
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
            guard hostPart.contains(":"), hostPart.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            if let colon = authority.lastIndex(of: ":") {
                hostPart = authority[..<colon]
                portPart = authority[authority.index(after: colon)...]
            }
            // A registered name or IPv4 address (RFC 3986 §3.2.2), as DNS spells names.
            guard hostPart.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }) else { return nil }
        }
        guard !hostPart.isEmpty, hostPart.utf8.count <= 253 else { return nil }
        host = hostPart.lowercased()
        if let portPart {
            guard !portPart.isEmpty, portPart.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portPart), (1...65535).contains(port) else { return nil }
            self.port = port
        } else {
            port = implicitTLS ? 465 : 25
        }
    }

    /// The user name and password, when the URL has them.
    public var credentials: SMTPCredentials? {
        guard let username, let password else { return nil }
        return SMTPCredentials(username: username, password: password)
    }

    /// True for names that are this machine whatever DNS says: `localhost`, 127.0.0.0/8
    /// (RFC 1122 §3.2.1.3) and `::1` (RFC 4291 §2.5.3). Only there may credentials travel
    /// without TLS: nobody between us and the server can read them.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { part in
            part.count <= 3 && part.allSatisfy(\.isNumber) && Int(part).map { $0 <= 255 } == true
        }
    }

    public var description: String {
        let scheme = implicitTLS ? "smtps" : "smtp"
        let name = host.contains(":") ? "[\(host)]" : host
        let userinfo = username.map { "\(PercentDecoding.encode($0)):<redacted>@" } ?? ""
        return "\(scheme)://\(userinfo)\(name):\(port)"
    }

    public var debugDescription: String { "SMTPURL(\(description))" }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "host": host, "port": port, "implicitTLS": implicitTLS,
            "username": username as Any, "password": password == nil ? "nil" : "<redacted>",
        ], displayStyle: .struct)
    }
}
