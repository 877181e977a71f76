import HTTP1
import HTTPClient

/// Where a provider's API is (its base URL, which may carry a path prefix, e.g. a proxy's)
/// and how a request to one of its paths is made.
struct ProviderEndpoint: Sendable {
    let base: OutgoingURL

    /// `path` starts with "/" and holds only percent-encoded segments; `query` is already
    /// encoded (`PercentEncoding.query`). The base's own query, if any, is not kept.
    func url(_ path: String, query: String = "") -> OutgoingURL {
        var prefix = Substring(base.target)
        if let mark = prefix.firstIndex(of: "?") { prefix = prefix[..<mark] }
        while prefix.hasSuffix("/") { prefix = prefix.dropLast() }
        let text = (base.isTLS ? "https://" : "http://") + base.hostHeader + prefix + path + (query.isEmpty ? "" : "?" + query)
        // Every part is ASCII without spaces (the base was parsed, the rest percent-encoded),
        // so this parses; the base is the answer that cannot send a request elsewhere.
        return OutgoingURL(text) ?? base
    }

    /// A request that takes a JSON answer. Header values are written control-free
    /// (`HeaderValue`), whatever the caller passed.
    func request(_ method: String, _ path: String, query: String = "", headers: [(String, String)], body: [UInt8] = []) -> OutgoingRequest {
        var fields = HTTPHeaders()
        fields.add(name: "Accept", value: "application/json")
        for (name, value) in headers { fields.add(name: name, value: HeaderValue.safe(value)) }
        if !body.isEmpty { fields.add(name: "Content-Type", value: "application/json") }
        return OutgoingRequest(method: method, url: url(path, query: query), headers: fields, body: body)
    }
}
