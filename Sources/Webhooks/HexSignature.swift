import Auth

/// A hex HMAC of the body in a header (Paystack, NOWPayments), compared in constant time.
struct HexSignature: Sendable {
    let secret: String?
    /// The option that sets the secret, named in the refusal when it is missing.
    let flag: String
    let header: String

    func refusal(_ value: String?, mac: ([UInt8]) -> [UInt8]) -> String? {
        guard let secret, !secret.isEmpty else { return "no \(flag) is configured" }
        guard let value, !value.isEmpty else { return "no \(header) header" }
        let expected = Array(HMAC.hex(mac(Array(secret.utf8))).utf8)
        return HMAC.constantTimeEquals(expected, Array(value.lowercased().utf8)) ? nil : "\(header) does not match the body"
    }
}
