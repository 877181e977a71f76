import Auth
import Hub
import JSON
import Phones

extension PersonKey {
    /// Exactly one of `email`, `phone`, `user_id` or `session_id`, from a request's fields
    /// (`value(name, maxLength)`); an empty one counts as absent.
    /// A phone is read as E.164 when libphonenumber can (`phones`), as the stored ones are.
    static func parse(invalid: (String) -> APIError, phones: PhoneNormalizer,
                      value: (String, Int) throws(APIError) -> String?) throws(APIError) -> PersonKey {
        var keys: [PersonKey] = []
        if let email = try value("email", 320), !email.isEmpty { keys.append(.email(email)) }
        if let phone = try value("phone", 64), !phone.isEmpty {
            guard !PhoneNumber.digits(phone).isEmpty else { throw invalid("phone has no digits") }
            keys.append(.phone(phones.e164(phone) ?? phone))
        }
        if let user = try value("user_id", 256), !user.isEmpty { keys.append(.userId(user)) }
        if let session = try value("session_id", 256), !session.isEmpty { keys.append(.sessionId(session)) }
        guard keys.count == 1, let key = keys.first else {
            throw invalid("name the person by exactly one of email, phone, user_id or session_id")
        }
        return key
    }
}

extension ErasureCall {
    /// `{email} | {phone} | {user_id} | {session_id}` (exactly one, as the person is known):
    /// a preview; `{"confirm"}`: the erasure that preview named.
    static func parse(_ body: JSONValue, secret: [UInt8], by: String, now: Int64, phones: PhoneNormalizer) throws(APIError) -> HubCommand {
        let fields = try BodyFields(body, errorCode: "invalid_erasure")
        if let confirm = try fields.text("confirm", max: 16_384) {
            let confirmation: ErasureConfirmation
            do {
                confirmation = try ErasureConfirmation.verify(confirm, secret: secret, now: now)
            } catch {
                throw APIError(.unprocessableContent, code: error == .expired ? "confirmation_expired" : "invalid_confirmation",
                               message: error == .expired ? "the preview is older than 10 minutes: ask for a new one"
                                   : "confirm is not a confirmation this hub gave")
            }
            let first = confirmation.identities[0]
            return .erase(ErasureCall(identities: confirmation.identities,
                                      confirmHash: keyed(.sessionId(confirmation.nonce), "erasure-confirm", secret: secret),
                                      pseudonym: "erased-" + keyed(first, "pseudonym", secret: secret).prefix(16),
                                      keyHashes: confirmation.identities.map { keyed($0, "erasure", secret: secret) }, by: by))
        }
        let key = try PersonKey.parse(invalid: fields.invalid, phones: phones) { name, max throws(APIError) in try fields.text(name, max: max) }
        return .erasePreview(key)
    }

    /// The key under the hub's secret, for one purpose: the erasure's record names the
    /// person by `keyed(key, "erasure")`, never by the key.
    static func keyed(_ key: PersonKey, _ purpose: String, secret: [UInt8]) -> String {
        HMAC.hex(HMAC.sha256(key: secret, message: Array("livehub \(purpose) \(key.kind) \(key.normalized)".utf8)))
    }
}
