/// The request methods of RFC 9110 §9 (and PATCH, RFC 5789), as the request line spells
/// them: case-sensitive (§9.1), so "get" is none of them.
public enum HTTPMethod: String, CaseIterable, Sendable {
    case get = "GET", head = "HEAD", post = "POST", put = "PUT", delete = "DELETE"
    case connect = "CONNECT", options = "OPTIONS", trace = "TRACE", patch = "PATCH"
}

extension HTTPRequestHead {
    /// The method, if it is one of the standard ones.
    public var knownMethod: HTTPMethod? { HTTPMethod(rawValue: method) }
}
