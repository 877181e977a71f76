import WebSocket

/// A user name and password for SMTP AUTH (RFC 4954), with the two SASL mechanisms we
/// speak. The password is never printed: `description`, `debugDescription` and the
/// mirror (`dump`, the debugger) show it as `<redacted>`.
public struct SMTPCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var username: String
    public var password: String

    /// Longest user name or password taken, in UTF-8 bytes: both travel base64-encoded on
    /// one AUTH line, which RFC 4954 §4 bounds at 12288 octets.
    public static let maxLength = 1024

    /// Nil when either is empty or too long, or holds NUL (the separator of RFC 4616 §2).
    public init?(username: String, password: String) {
        guard !username.isEmpty, !password.isEmpty,
              username.utf8.count <= Self.maxLength, password.utf8.count <= Self.maxLength,
              !username.utf8.contains(0), !password.utf8.contains(0) else { return nil }
        self.username = username
        self.password = password
    }

    /// The AUTH PLAIN initial response (RFC 4616 §2): base64 of
    /// `authzid NUL authcid NUL passwd`, with an empty authzid (act as ourselves).
    var plainResponse: String {
        Base64.encode([0] + Array(username.utf8) + [0] + Array(password.utf8))
    }

    /// The two answers of the LOGIN mechanism (draft-murchison-sasl-login-00 §2.1): the
    /// user name, then the password, each base64-encoded.
    var loginUsername: String { Base64.encode(Array(username.utf8)) }
    var loginPassword: String { Base64.encode(Array(password.utf8)) }

    public var description: String { "\(username):<redacted>" }
    public var debugDescription: String { "SMTPCredentials(username: \(username.debugDescription), password: <redacted>)" }
    public var customMirror: Mirror {
        Mirror(self, children: ["username": username, "password": "<redacted>"], displayStyle: .struct)
    }
}
