import Glibc

/// A client's IP address as bytes (4 for IPv4, 16 for IPv6), parsed from text with
/// `inet_pton`, so nothing that is not an address is ever used as one.
struct ClientAddress: Hashable, Sendable {
    let bytes: [UInt8]

    init?(_ text: some StringProtocol) {
        let trimmed = String(text).trimmingCharacters(in: " []")
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, trimmed, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, trimmed, &v6) == 1 else { return nil }
        let all = withUnsafeBytes(of: &v6) { Array($0) }
        // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is that IPv4 address.
        if all[0..<10].allSatisfy({ $0 == 0 }) && all[10] == 0xFF && all[11] == 0xFF {
            bytes = Array(all[12...])
        } else {
            bytes = all
        }
    }

    var isIPv4: Bool { bytes.count == 4 }

    /// What rate limits count by: the whole IPv4 address, or an IPv6 address's /64 (one
    /// subscriber's network: a client that owns a /64 cannot get a fresh bucket per address).
    var rateKey: UInt64 {
        if isIPv4 {
            return 0xFFFF_FFFF_0000_0000 | UInt64(bytes[0]) << 24 | UInt64(bytes[1]) << 16 | UInt64(bytes[2]) << 8 | UInt64(bytes[3])
        }
        return bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// An address range such as `10.0.0.0/8` or `fd00::/8` (`--trusted-proxy`).
public struct AddressRange: Sendable, Equatable {
    let network: [UInt8]
    let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = ClientAddress(parts[0]) else { return nil }
        let bits = address.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...bits).contains(length) else { return nil }
            prefixLength = length
        } else {
            prefixLength = bits
        }
        network = address.bytes
    }

    func contains(_ address: ClientAddress) -> Bool {
        guard address.bytes.count == network.count else { return false }
        var remaining = prefixLength
        for i in 0..<network.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address.bytes[i] & mask != network[i] & mask { return false }
            remaining -= bits
        }
        return true
    }
}

extension ClientAddress {
    /// The client behind a chain of proxies: the peer itself, unless it is a trusted proxy;
    /// then `X-Forwarded-For` is read from its end (the hop each trusted proxy added) back
    /// to the first address that is not a trusted proxy. An entry that is not an address
    /// stops the walk at the proxy that passed it on.
    static func client(peer: String, forwardedFor: String?, trusted: [AddressRange]) -> String {
        guard !trusted.isEmpty, let forwardedFor, var current = ClientAddress(peer),
              trusted.contains(where: { $0.contains(current) }) else { return peer }
        var client = peer
        for hop in forwardedFor.split(separator: ",").reversed() {
            guard let address = ClientAddress(hop) else { break }
            current = address
            client = String(hop).trimmingCharacters(in: " []")
            if !trusted.contains(where: { $0.contains(current) }) { break }
        }
        return client
    }
}
