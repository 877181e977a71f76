/// What the server said it supports in its EHLO reply (RFC 5321 §4.1.1.1): each line
/// after the first is `ehlo-keyword *( SP ehlo-param )`; keywords are case-insensitive.
public struct SMTPExtensions: Sendable, Equatable {
    /// Keyword (upper case) to its parameters.
    public private(set) var keywords: [String: [String]] = [:]

    public init() {}

    init(ehloReply: SMTPReply) {
        for line in ehloReply.lines.dropFirst() {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard var keyword = words.first.map({ $0.uppercased() }), !keyword.isEmpty else { continue }
            var parameters = words.dropFirst().map(String.init)
            // Some old servers wrote "AUTH=LOGIN PLAIN" (before RFC 2554 was final).
            if keyword.hasPrefix("AUTH=") {
                parameters.insert(String(keyword.dropFirst(5)), at: 0)
                keyword = "AUTH"
            }
            keywords[keyword, default: []] += parameters
        }
    }

    public func supports(_ keyword: String) -> Bool { keywords[keyword.uppercased()] != nil }

    /// The SASL mechanisms after `AUTH` (RFC 4954 §3), upper case; nil when AUTH is not
    /// offered at all.
    public var authMechanisms: [String]? {
        keywords["AUTH"].map { $0.map { $0.uppercased() } }
    }
}
