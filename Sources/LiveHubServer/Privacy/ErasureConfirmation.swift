import Auth
import Hub
import JSON
import WebSocket

/// The `confirm` an erasure's preview answers: the identities it named, when it stops being
/// good, and a one-time id, signed with the hub's secret (HMAC-SHA256). The hub keeps
/// nothing per preview (any node of a cluster can take the confirmation, and nobody can
/// grow memory by asking for previews); the records database refuses a one-time id it has
/// seen before.
struct ErasureConfirmation: Equatable {
    var identities: [PersonKey]
    /// Milliseconds since the Unix epoch.
    var expiresAt: Int64
    var nonce: String

    /// A preview is good for this long.
    static let lifetime: Int64 = 10 * 60_000

    func signed(secret: [UInt8]) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.key("k")
        json.beginArray()
        for key in identities {
            json.beginArray()
            json.string(key.kind)
            json.string(key.value)
            json.endArray()
        }
        json.endArray()
        json.key("exp")
        json.int(Int(expiresAt))
        json.field("n", nonce)
        json.endObject()
        let body = Base64.encode(json.bytes, urlSafe: true, padding: false)
        return body + "." + Base64.encode(Self.mac(body, secret: secret), urlSafe: true, padding: false)
    }

    enum Failure: Error { case invalid, expired }

    static func verify(_ text: String, secret: [UInt8], now: Int64) throws(Failure) -> ErasureConfirmation {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let mac = Base64.decode(parts[1]),
              HMAC.constantTimeEquals(mac, Self.mac(String(parts[0]), secret: secret)),
              let bytes = Base64.decode(parts[0]), let json = try? JSONParser.parse(bytes), !json.hasDuplicateKeys,
              case .array(let pairs) = json["k"], case .number(let expText) = json["exp"], let exp = Int64(expText),
              let nonce = json["n"]?.stringValue
        else { throw .invalid }
        var identities: [PersonKey] = []
        for pair in pairs {
            guard case .array(let kv) = pair, kv.count == 2, let kind = kv[0].stringValue, let value = kv[1].stringValue,
                  let key = PersonKey(kind: kind, value: value) else { throw .invalid }
            identities.append(key)
        }
        guard !identities.isEmpty else { throw .invalid }
        guard exp > now else { throw .expired }
        return ErasureConfirmation(identities: identities, expiresAt: exp, nonce: nonce)
    }

    private static func mac(_ body: String, secret: [UInt8]) -> [UInt8] {
        HMAC.sha256(key: secret, message: Array("livehub erasure-confirm \(body)".utf8))
    }
}
