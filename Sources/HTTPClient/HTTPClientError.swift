/// Why an outgoing request got no response. Each says what happened in words an operator
/// can act on; the alert log stores `description`.
public enum HTTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    case resolve(String)
    case connect(String)
    /// The TLS handshake failed: an untrusted chain, a name that does not match, …
    case tls(String)
    /// No complete response within the deadline.
    case timeout
    case badResponse(String)

    public var description: String {
        switch self {
        case .resolve(let why): return "cannot resolve host: \(why)"
        case .connect(let why): return "cannot connect: \(why)"
        case .tls(let why): return "TLS failed: \(why)"
        case .timeout: return "timed out"
        case .badResponse(let why): return "bad response: \(why)"
        }
    }
}
