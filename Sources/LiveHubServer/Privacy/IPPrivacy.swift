import Glibc

/// How much of a client's IP address the hub keeps (`--ip-privacy`), applied where the
/// address is read, before anything is stored or shown: sessions, payment errors and the
/// address headers of webhook deliveries. Rate limits still count by the whole address,
/// in memory only.
public enum IPPrivacy: String, Sendable, CaseIterable {
    /// The address as it came.
    case full
    /// IPv4 to its /24 (`203.0.113.0`), IPv6 to its /48 (`2001:db8:85a3::`): the network,
    /// not the subscriber.
    case truncate
    /// No address at all.
    case none

    /// What is kept of `address` (nil: nothing). Text that is not an address is not kept.
    public func kept(_ address: String?) -> String? {
        guard let address else { return nil }
        switch self {
        case .full: return address
        case .none: return nil
        case .truncate:
            guard let parsed = ClientAddress(address) else { return nil }
            var bytes = parsed.bytes
            let keep = parsed.isIPv4 ? 3 : 6
            for i in keep..<bytes.count { bytes[i] = 0 }
            return Self.text(bytes)
        }
    }

    /// Header fields that name a client's address (RFC 7239 `Forwarded` and the common
    /// ad-hoc ones), whose values are kept only as far as an address is.
    static let addressHeaders: Set<String> = ["x-forwarded-for", "x-real-ip", "forwarded", "cf-connecting-ip", "true-client-ip", "x-client-ip"]

    /// A `name: value` header line as a webhook log keeps it: an address header's value is
    /// reduced address by address (`none`: the line is dropped).
    func keptHeaderLine(name: String, value: String) -> String? {
        guard Self.addressHeaders.contains(name.lowercased()), self != .full else { return "\(name): \(value)" }
        guard self == .truncate else { return nil }
        let parts = value.split(separator: ",").map { part -> String in
            let trimmed = part.filter { $0 != " " }
            // `Forwarded: for=1.2.3.4;proto=https` keeps its keys, with each address reduced.
            if name.lowercased() == "forwarded" {
                return trimmed.split(separator: ";").map { pair in
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    guard kv.count == 2, kv[0].lowercased() == "for" else { return String(pair) }
                    let address = kv[1].filter { $0 != "\"" }
                    return "for=" + (kept(String(address)) ?? "unknown")
                }.joined(separator: ";")
            }
            return kept(trimmed) ?? "unknown"
        }
        return "\(name): \(parts.joined(separator: ", "))"
    }

    private static func text(_ bytes: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A request's client as the server uses it: the whole address (rate limits, in memory
/// only) and what `--ip-privacy` lets it store and show.
struct ClientAddressing: Sendable {
    let ip: String
    /// The rate-limit bucket (`ClientLimits.key(ip)`).
    let rateKey: UInt64
    let keptIP: String?
}
