import Auth
import Hub
import JSON

extension ErasureCall {
    /// `{email} | {phone} | {user_id} | {session_id}`: exactly one, as the person is known.
    static func parse(_ body: JSONValue, secret: [UInt8], by: String) throws(APIError) -> ErasureCall {
        let fields = try BodyFields(body, errorCode: "invalid_erasure")
        var keys: [ErasureKey] = []
        if let email = try fields.text("email", max: 320), !email.isEmpty { keys.append(.email(email)) }
        if let phone = try fields.text("phone", max: 64), !phone.isEmpty {
            guard !PhoneNumber.digits(phone).isEmpty else { throw fields.invalid("phone has no digits") }
            keys.append(.phone(phone))
        }
        if let user = try fields.text("user_id", max: 256), !user.isEmpty { keys.append(.userId(user)) }
        if let session = try fields.text("session_id", max: 256), !session.isEmpty { keys.append(.sessionId(session)) }
        guard keys.count == 1, let key = keys.first else {
            throw fields.invalid("name the person by exactly one of email, phone, user_id or session_id")
        }
        func keyed(_ purpose: String) -> String {
            HMAC.hex(HMAC.sha256(key: secret, message: Array("livehub \(purpose) \(key.kind) \(key.normalized)".utf8)))
        }
        return ErasureCall(key: key, pseudonym: "erased-" + keyed("pseudonym").prefix(16), keyHash: keyed("erasure"), by: by)
    }
}
