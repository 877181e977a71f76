/// Why a message was not handed over. Each says what happened in words an operator can
/// act on; `isRetryable` tells the sender whether to keep the message for a later try.
public enum SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A 4xx reply: the server may take the message later (RFC 5321 §4.2.1, §4.2.5).
    case transient(code: Int, text: String)
    /// A 5xx reply: the server will not take this message as it is (RFC 5321 §4.2.1).
    case permanent(code: Int, text: String)
    /// No connection, a refused or reset one, or one the server closed before it answered
    /// (RFC 5321 §3.8 asks clients to treat that as a 451).
    case connect(String)
    /// The TLS handshake failed: an untrusted chain, a name that does not match, …
    case tls(String)
    /// The exchange did not finish within its deadline.
    case timeout
    /// The server broke the protocol (a line that is not a reply, an oversize line, an
    /// answer out of turn), or we refused to go on (credentials over a plain channel, no
    /// AUTH mechanism in common).
    case protocolError(String)

    /// Whether the same message may succeed if sent again later.
    ///
    /// - `transient`: yes, by definition of 4xx (RFC 5321 §4.2.1, "transient negative").
    /// - `connect`, `timeout`: yes: the network or the server was away; RFC 5321 §3.8 and
    ///   §4.5.4.1 have clients queue and retry.
    /// - `tls`: yes. A reset mid-handshake is passing, and an expired or mismatched
    ///   certificate is fixed by the server's operator without us; a sender that bounds its
    ///   retries loses nothing by trying again, while dropping the message would.
    /// - `permanent`: no: RFC 5321 §4.2.1 says the client should not repeat the request.
    /// - `protocolError`: no: a server that speaks something else (a wrong port, an HTTP
    ///   server, plain text to an smtps:// client) or our own refusal of the configuration
    ///   gives the same answer every time; retrying only delays the operator's alert.
    public var isRetryable: Bool {
        switch self {
        case .transient, .connect, .tls, .timeout: return true
        case .permanent, .protocolError: return false
        }
    }

    public var description: String {
        switch self {
        case .transient(let code, let text): return "temporary failure \(code): \(text)"
        case .permanent(let code, let text): return "refused \(code): \(text)"
        case .connect(let why): return "cannot connect: \(why)"
        case .tls(let why): return "TLS failed: \(why)"
        case .timeout: return "timed out"
        case .protocolError(let why): return "protocol error: \(why)"
        }
    }
}
