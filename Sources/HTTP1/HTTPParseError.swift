/// Why a request could not be read. Each maps to the status the client is answered with
/// before the connection is closed.
public enum HTTPParseError: Error, Equatable, Sendable {
    /// Request line plus headers over the head limit (16 KiB by default).
    case headTooLarge
    /// Body over the configured limit.
    case bodyTooLarge
    /// Anything that is not HTTP/1.x as RFC 9112 writes it.
    case malformed(String)
    /// A transfer coding other than `chunked`.
    case unsupportedTransferEncoding
    /// HTTP/2.0, HTTP/3.0 … on an HTTP/1.x port.
    case unsupportedVersion

    /// The one place a parse error becomes a status code.
    public var status: HTTPStatus {
        switch self {
        case .headTooLarge: return .requestHeaderFieldsTooLarge
        case .bodyTooLarge: return .contentTooLarge
        case .malformed: return .badRequest
        case .unsupportedTransferEncoding: return .notImplemented
        case .unsupportedVersion: return .httpVersionNotSupported
        }
    }

    public var message: String {
        switch self {
        case .headTooLarge: return "request head too large"
        case .bodyTooLarge: return "request body too large"
        case .malformed(let why): return "malformed request: \(why)"
        case .unsupportedTransferEncoding: return "only the chunked transfer coding is supported"
        case .unsupportedVersion: return "only HTTP/1.0 and HTTP/1.1 are supported"
        }
    }
}
